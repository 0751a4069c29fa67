/**
 * A WebRTC transport in mediasoup's shape, built on werift's ORTC-level classes: an ICE-lite agent
 * bound to one UDP port, a DTLS server with SRTP, and an SCTP association for negotiated data
 * channels. It carries producers, consumers, data producers and data consumers; closing it closes them.
 */
import { randomUUID } from 'node:crypto';
import {
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
  type RtpHeader,
  type RtpPacket,
} from 'werift';
import type { DtlsParameters, RtpCapabilities, RtpParameters, SctpStreamParameters } from '../../protocol/index.js';
import type { Consumer } from './consumer.js';
import type { DataConsumer, DataProducer } from './data-channels.js';
import type { Producer, ProducerAppData } from './producer.js';
import type { MediaKind } from './rtp-parameters.js';

export interface IceCandidate {
  foundation: string;
  priority: number;
  ip: string;
  address: string;
  protocol: 'udp';
  port: number;
  type: 'host';
}

export interface WebRtcTransportOptions {
  /** Address the UDP socket binds. */
  listenIp: string;
  /** Address put in the ICE candidate (what clients send to). */
  announcedAddress: string;
  portRange?: [number, number];
  numStreams: { OS: number; MIS: number };
  maxMessageSize: number;
  /** A transport whose DTLS is not up this long after creation closes itself. */
  connectTimeoutMs: number;
  appData: { peerId: string; direction: 'send' | 'recv' };
}

/** mediasoup's transport.produce() options. */
export interface ProduceOptions {
  kind: MediaKind;
  rtpParameters: RtpParameters;
  paused?: boolean;
  appData: ProducerAppData;
}

/** mediasoup's transport.consume() options (`appData.peerId`: who receives). */
export interface ConsumeOptions {
  producerId: string;
  rtpCapabilities: RtpCapabilities;
  paused?: boolean;
  appData: { peerId: string };
}

/** mediasoup's transport.produceData() options. */
export interface ProduceDataOptions {
  sctpStreamParameters: SctpStreamParameters;
  label: string;
  protocol?: string;
}

/**
 * Options of a data consumer. mediasoup's consumeData() names a data producer; here the host's
 * producers are virtual, so the consumer says which label and ordering it carries.
 */
export interface ConsumeDataOptions {
  label: string;
  protocol?: string;
  ordered: boolean;
}

/** The router that made a transport does the work of its produce/consume calls. */
export interface TransportOwner {
  produce(transport: WebRtcTransport, options: ProduceOptions): Producer;
  consume(transport: WebRtcTransport, options: ConsumeOptions): Consumer;
  produceData(transport: WebRtcTransport, options: ProduceDataOptions): DataProducer;
  consumeData(transport: WebRtcTransport, options: ConsumeDataOptions): DataConsumer;
}

export type TransportCloseReason = 'closed' | 'connect-timeout' | 'dtls-failed' | 'ice-failed' | 'remote-closed';

const SCTP_PORT = 5000;
const SUPPORTED_FINGERPRINTS = new Set(['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512']);

/** Thrown for a call the transport's state does not allow, or parameters it cannot use. */
export class TransportError extends Error {
  constructor(
    readonly code: 'INVALID_STATE' | 'INVALID_ARGUMENT',
    message: string,
  ) {
    super(message);
  }
}

export class WebRtcTransport {
  readonly id = randomUUID();
  readonly appData: WebRtcTransportOptions['appData'];
  readonly iceParameters: { usernameFragment: string; password: string; iceLite: true };
  readonly iceCandidates: IceCandidate[];
  readonly dtlsParameters: { role: 'auto'; fingerprints: { algorithm: string; value: string }[] };
  readonly sctpParameters: { port: number; OS: number; MIS: number; maxMessageSize: number };
  /** Called for every decrypted RTP / RTCP packet; set by the router. */
  onRtp: (packet: RtpPacket) => void = () => undefined;
  onRtcp: (packet: RtcpPacket) => void = () => undefined;
  /** Set by the router that made the transport. */
  owner: TransportOwner | null = null;
  readonly #ice: RTCIceTransport;
  readonly #dtls: RTCDtlsTransport;
  readonly #sctp: RTCSctpTransport;
  readonly #closeListeners = new Set<(reason: TransportCloseReason) => void>();
  readonly #connectListeners = new Set<() => void>();
  readonly #timer: NodeJS.Timeout;
  #connectCalled = false;
  #connected = false;
  #closed = false;
  #nextMid = 0;
  #nextStreamId = 0;

  static async create(options: WebRtcTransportOptions): Promise<WebRtcTransport> {
    const certificate = await RTCDtlsTransport.SetupCertificate();
    const gatherer = new RTCIceGatherer({
      iceLite: true,
      useIpv4: false,
      useIpv6: false,
      useTcp: false,
      // werift skips loopback interfaces; naming the address is how it gets a candidate at all.
      additionalHostAddresses: [options.announcedAddress],
      interfaceAddresses: { udp4: options.listenIp },
      ...(options.portRange ? { portRange: options.portRange } : {}),
    });
    await gatherer.gather();
    const ice = new RTCIceTransport(gatherer);
    const dtls = new RTCDtlsTransport({}, ice, certificate, [
      ProtectionProfileAeadAes128Gcm,
      ProtectionProfileAes128CmHmacSha1_80,
    ]);
    const sctp = new RTCSctpTransport(SCTP_PORT, options.maxMessageSize);
    sctp.setDtlsTransport(dtls);
    // Chromium takes up to 256 KiB; werift's default cap (64 KiB) would refuse our framed copies.
    sctp.setRemoteMaxMessageSize(262_144);
    return new WebRtcTransport(options, ice, dtls, sctp);
  }

  private constructor(o: WebRtcTransportOptions, ice: RTCIceTransport, dtls: RTCDtlsTransport, sctp: RTCSctpTransport) {
    this.appData = o.appData;
    this.#ice = ice;
    this.#dtls = dtls;
    this.#sctp = sctp;
    const local = ice.localParameters;
    this.iceParameters = { usernameFragment: local.usernameFragment, password: local.password, iceLite: true };
    this.iceCandidates = ice.localCandidates.map((c) => ({
      foundation: c.foundation,
      priority: c.priority,
      ip: c.ip,
      address: c.ip,
      protocol: 'udp',
      port: c.port,
      type: 'host',
    }));
    this.dtlsParameters = {
      role: 'auto',
      fingerprints: dtls.localParameters.fingerprints.map((f) => ({ algorithm: f.algorithm, value: f.value })),
    };
    this.sctpParameters = {
      port: SCTP_PORT,
      OS: o.numStreams.OS,
      MIS: o.numStreams.MIS,
      maxMessageSize: o.maxMessageSize,
    };
    // The browser is the controlling agent; it never sends us its ICE credentials (mediasoup's
    // model), and an ICE-lite agent checks incoming requests against its own password only.
    ice.setRemoteParams({ usernameFragment: 'remote', password: 'remote-password-unused', iceLite: false });
    dtls.role = 'server';
    sendBeforeNomination(ice.connection);
    ice.start().catch(() => this.close('ice-failed'));
    dtls.onRtp.subscribe((packet) => {
      if (!this.#closed) this.onRtp(packet);
    });
    dtls.onRtcp.subscribe((packet) => {
      if (!this.#closed) this.onRtcp(packet);
    });
    dtls.onStateChange.subscribe((state) => {
      if (state === 'closed') this.close('remote-closed');
      else if (state === 'failed') this.close('dtls-failed');
    });
    this.#timer = setTimeout(() => {
      if (!this.#connected) this.close('connect-timeout');
    }, o.connectTimeoutMs);
    this.#timer.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** DTLS is up: media and data can flow. */
  get connected(): boolean {
    return this.#connected;
  }

  get direction(): 'send' | 'recv' {
    return this.appData.direction;
  }

  /**
   * mediasoup's transport.connect(): takes the client's DTLS fingerprints and starts the handshake.
   * Like mediasoup it returns before the handshake ends; a certificate that does not match closes
   * the transport.
   */
  connect({ dtlsParameters }: { dtlsParameters: DtlsParameters }): void {
    if (this.#closed) throw new TransportError('INVALID_STATE', 'the transport is closed');
    if (this.#connectCalled) throw new TransportError('INVALID_STATE', 'connect() was already called');
    const fingerprints = dtlsParameters.fingerprints.filter((f) =>
      SUPPORTED_FINGERPRINTS.has(f.algorithm.toLowerCase()),
    );
    if (fingerprints.length === 0) throw new TransportError('INVALID_ARGUMENT', 'no supported DTLS fingerprint');
    for (const f of fingerprints) {
      if (!/^([0-9A-Fa-f]{2}:)*[0-9A-Fa-f]{2}$/.test(f.value)) {
        throw new TransportError('INVALID_ARGUMENT', 'a DTLS fingerprint value is malformed');
      }
    }
    if (dtlsParameters.role === 'server') {
      throw new TransportError('INVALID_ARGUMENT', 'the client must be the DTLS client (role client or auto)');
    }
    this.#connectCalled = true;
    this.#dtls.setRemoteParams(
      new RTCDtlsParameters(
        fingerprints.map((f) => new RTCDtlsFingerprint(f.algorithm.toLowerCase(), f.value)),
        'client',
      ),
    );
    this.#dtls
      .start()
      .then(async () => {
        if (this.#closed) return;
        this.#connected = true;
        clearTimeout(this.#timer);
        for (const listener of this.#connectListeners) listener();
        await this.#sctp.start(SCTP_PORT);
      })
      .catch(() => this.close('dtls-failed'));
  }

  /** mediasoup's transport.produce(); throws ParameterError for parameters the router cannot forward. */
  produce(options: ProduceOptions): Producer {
    return this.#owned().produce(this, options);
  }

  /** mediasoup's transport.consume(). */
  consume(options: ConsumeOptions): Consumer {
    return this.#owned().consume(this, options);
  }

  /** mediasoup's transport.produceData(): a negotiated SCTP stream the client sends on. */
  produceData(options: ProduceDataOptions): DataProducer {
    return this.#owned().produceData(this, options);
  }

  /** A data consumer on the next free SCTP stream. */
  consumeData(options: ConsumeDataOptions): DataConsumer {
    return this.#owned().consumeData(this, options);
  }

  #owned(): TransportOwner {
    if (!this.owner || this.#closed) throw new TransportError('INVALID_STATE', 'the transport is closed');
    return this.owner;
  }

  onConnected(listener: () => void): void {
    if (this.#connected) listener();
    else this.#connectListeners.add(listener);
  }

  onClose(listener: (reason: TransportCloseReason) => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** MID for the next consumer, as mediasoup numbers them per transport. */
  nextMid(): string {
    return String(this.#nextMid++);
  }

  /** An SCTP stream id for a data consumer (the server side of negotiated channels). */
  nextStreamId(): number | null {
    if (this.#nextStreamId >= this.sctpParameters.MIS) return null;
    return this.#nextStreamId++;
  }

  sendRtp(header: RtpHeader, payload: Buffer): void {
    if (!this.#connected || this.#closed) return;
    void this.#dtls.sendRtp(payload, header);
  }

  sendRtcp(packets: RtcpPacket[]): void {
    if (!this.#connected || this.#closed) return;
    this.#dtls.sendRtcp(packets).catch(() => undefined);
  }

  /** A negotiated data channel on the stream the client's parameters name (mediasoup-client sends no DCEP). */
  openDataChannel(label: string, protocol: string, stream: SctpStreamParameters): RTCDataChannel {
    if (this.#closed) throw new TransportError('INVALID_STATE', 'the transport is closed');
    if (this.#sctp.dataChannels[stream.streamId]) {
      throw new TransportError('INVALID_ARGUMENT', `SCTP stream ${stream.streamId} is taken`);
    }
    if (stream.streamId >= Math.max(this.sctpParameters.OS, this.sctpParameters.MIS)) {
      throw new TransportError('INVALID_ARGUMENT', `SCTP stream ${stream.streamId} is out of range`);
    }
    return new RTCDataChannel(
      this.#sctp,
      new RTCDataChannelParameters({
        label,
        protocol,
        id: stream.streamId,
        negotiated: true,
        ordered: stream.ordered ?? true,
        ...(stream.maxRetransmits !== undefined ? { maxRetransmits: stream.maxRetransmits } : {}),
        ...(stream.maxPacketLifeTime !== undefined ? { maxPacketLifeTime: stream.maxPacketLifeTime } : {}),
      }),
    );
  }

  closeDataChannel(channel: RTCDataChannel): void {
    try {
      if (this.#sctp.dataChannels[channel.id] === channel) this.#sctp.dataChannelClose(channel);
    } catch {
      // The association may already be gone; the channel dies with it.
    }
  }

  close(reason: TransportCloseReason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const listener of [...this.#closeListeners]) {
      try {
        listener(reason);
      } catch {
        // A listener's failure must not stop the others or the teardown.
      }
    }
    this.#closeListeners.clear();
    this.#connectListeners.clear();
    void (async () => {
      await this.#sctp.stop().catch(() => undefined);
      try {
        this.#dtls.dtls?.close();
      } catch {
        // Already closed by the remote side.
      }
      await this.#dtls.stop().catch(() => undefined);
      await this.#ice.stop().catch(() => undefined);
    })();
  }
}

/**
 * An ICE-lite server may answer on the pair an authenticated check came in on before the browser
 * nominates one; mediasoup's does. werift's sends nothing until a check carries USE-CANDIDATE,
 * which Chromium sends a check cycle after its first success: meanwhile the DTLS server's answer
 * to the browser's first ClientHello is dropped, and the browser sends it again only when its
 * retransmission timer fires, some 50 ms later on every transport. So send as mediasoup does.
 */
function sendBeforeNomination(connection: RTCIceTransport['connection']): void {
  const send = connection.send;
  connection.send = async (data) => {
    if (connection.nominated) return send(data);
    // werift records a pair for each check it answered (checkIncoming), authenticated first.
    const checked = connection.checkList.find((pair) => pair.requestsReceived > 0);
    if (checked) await checked.protocol.sendData(data, checked.remoteAddr);
  };
}
