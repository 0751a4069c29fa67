/**
 * A werift client for the SFU tests and the benchmark: the browser's side of a mediasoup transport
 * (controlling ICE agent, DTLS client, SCTP) from werift's ORTC classes, on 127.0.0.1.
 */
import {
  IceCandidate,
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RTCDataChannel,
  RTCDataChannelParameters,
  RTCDtlsFingerprint,
  RTCDtlsParameters,
  RTCDtlsTransport,
  RTCIceGatherer,
  RTCIceTransport,
  RTCSctpTransport,
  type RtcpPacket,
  RtpHeader,
  type RtpPacket,
} from 'werift';

export interface ServerTransportInfo {
  iceParameters: { usernameFragment: string; password: string };
  iceCandidates: { foundation: string; priority: number; ip: string; port: number }[];
  dtlsParameters: { fingerprints: { algorithm: string; value: string }[] };
}

export interface TransportClient {
  dtlsParameters: { role: 'client'; fingerprints: { algorithm: string; value: string }[] };
  /** ICE, DTLS, then SCTP; resolves when all are up. */
  start(): Promise<void>;
  sendRtp(header: RtpHeader, payload: Buffer): void;
  sendRtcp(packets: RtcpPacket[]): void;
  onRtp(listener: (packet: RtpPacket) => void): void;
  onRtcp(listener: (packet: RtcpPacket) => void): void;
  /** A negotiated data channel on `streamId`, as mediasoup-client opens one. */
  channel(streamId: number, label: string, ordered: boolean): RTCDataChannel;
  readonly dtls: RTCDtlsTransport;
  close(): Promise<void>;
}

export async function transportClient(
  info: ServerTransportInfo,
  certificateFrom?: RTCDtlsTransport,
): Promise<TransportClient> {
  const gatherer = new RTCIceGatherer({
    useIpv4: false,
    useIpv6: false,
    useTcp: false,
    additionalHostAddresses: ['127.0.0.1'],
    interfaceAddresses: { udp4: '127.0.0.1' },
  });
  await gatherer.gather();
  const ice = new RTCIceTransport(gatherer);
  ice.connection.iceControlling = true;
  ice.setRemoteParams({
    usernameFragment: info.iceParameters.usernameFragment,
    password: info.iceParameters.password,
    iceLite: true,
  });
  for (const c of info.iceCandidates) {
    await ice.addRemoteCandidate(new IceCandidate(1, c.foundation, c.ip, c.port, c.priority, 'udp', 'host'));
  }
  await ice.addRemoteCandidate(undefined);
  const certificate = certificateFrom?.localCertificate ?? (await RTCDtlsTransport.SetupCertificate());
  const dtls = new RTCDtlsTransport({}, ice, certificate, [
    ProtectionProfileAeadAes128Gcm,
    ProtectionProfileAes128CmHmacSha1_80,
  ]);
  dtls.role = 'client';
  dtls.setRemoteParams(
    new RTCDtlsParameters(
      info.dtlsParameters.fingerprints.map((f) => new RTCDtlsFingerprint(f.algorithm, f.value)),
      'server',
    ),
  );
  const sctp = new RTCSctpTransport(5000);
  sctp.setDtlsTransport(dtls);
  // As the server's sctpParameters announce (werift would cap sends at 64 KiB).
  sctp.setRemoteMaxMessageSize(262_144);
  return {
    dtls,
    dtlsParameters: {
      role: 'client',
      fingerprints: dtls.localParameters.fingerprints.map((f) => ({ algorithm: f.algorithm, value: f.value })),
    },
    async start() {
      await ice.start();
      await dtls.start();
      await sctp.start(5000);
    },
    sendRtp(header, payload) {
      void dtls.sendRtp(payload, header);
    },
    sendRtcp(packets) {
      dtls.sendRtcp(packets).catch(() => undefined);
    },
    onRtp(listener) {
      dtls.onRtp.subscribe(listener);
    },
    onRtcp(listener) {
      dtls.onRtcp.subscribe(listener);
    },
    channel(streamId, label, ordered) {
      return new RTCDataChannel(
        sctp,
        new RTCDataChannelParameters({
          label,
          id: streamId,
          negotiated: true,
          ordered,
          ...(ordered ? {} : { maxRetransmits: 1 }),
        }),
      );
    },
    async close() {
      // werift's DTLS client keeps retransmitting a flight the server never answers (a refused
      // certificate) for ~30 s with no way to cancel it; a high flight number ends that loop.
      const context = (dtls.dtls as unknown as { dtls?: { flight: number } } | undefined)?.dtls;
      if (context) context.flight = 99;
      void sctp.stop().catch(() => undefined);
      dtls.dtls?.close();
      await dtls.stop().catch(() => undefined);
      // werift 0.25 leaves the controlling agent's 30 s consent-expiry timer running after close.
      clearTimeout((ice.connection as unknown as { consentExpiryTimer?: NodeJS.Timeout }).consentExpiryTimer);
    },
  };
}

/** An RTP header as a browser would send it: the MID extension, our payload type and SSRC. */
export function rtpHeader(fields: { ssrc: number; payloadType: number; seq: number; timestamp: number; mid?: string }) {
  return new RtpHeader({
    ssrc: fields.ssrc,
    payloadType: fields.payloadType,
    sequenceNumber: fields.seq & 0xffff,
    timestamp: fields.timestamp >>> 0,
    marker: true,
    extensions: fields.mid === undefined ? [] : [{ id: 1, payload: Buffer.from(fields.mid) }],
  });
}

/** A VP8 payload that parses as a keyframe (S=1, partition 0, P=0). */
export const VP8_KEYFRAME = Buffer.from([0x10, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00]);
/** An Opus-sized payload. */
export const OPUS_FRAME = Buffer.alloc(60, 0x7a);
