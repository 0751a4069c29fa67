/**
 * A producer in mediasoup's shape: one incoming RTP stream (a peer's microphone or camera) that the
 * router fans out to consumers. It keeps the receive statistics its receiver reports need and
 * rate-limits keyframe requests on their way to the sender.
 */
import { randomUUID } from 'node:crypto';
import {
  GenericNack,
  PictureLossIndication,
  ReceiverEstimatedMaxBitrate,
  RtcpPayloadSpecificFeedback,
  RtcpReceiverInfo,
  RtcpRrPacket,
  type RtcpSrPacket,
  RtcpTransportLayerFeedback,
  type RtpPacket,
} from 'werift';
import type { RtpParameters } from '../../protocol/index.js';
import type { Consumer } from './consumer.js';
import { HeaderExtensionUri, type MediaKind, type ProducerRtp, randomSsrc } from './rtp-parameters.js';
import type { WebRtcTransport } from './webrtc-transport.js';

export interface ProducerAppData {
  peerId: string;
  mediaTag: string;
  channelId: string | null;
}

/**
 * The bitrate a video sender is told it may use (REMB). There is no receive-side estimator here:
 * the sender's own loss-based control, fed by our receiver reports, still backs off on loss.
 */
const VIDEO_MAX_BITRATE = 1_500_000;

/** A bigger jump in sequence numbers is a restart or a long outage, not something to NACK. */
const MAX_NACKED_GAP = 64;

/** Keyframe requests closer together than this are merged into one. */
const KEYFRAME_REQUEST_GAP_MS = 300;

export class Producer {
  readonly id = randomUUID();
  readonly kind: MediaKind;
  readonly rtp: ProducerRtp;
  readonly rtpParameters: RtpParameters;
  readonly transport: WebRtcTransport;
  readonly appData: ProducerAppData;
  readonly consumers = new Set<Consumer>();
  /** SSRC of the stream, announced or learned from the first packet carrying the producer's MID. */
  ssrc: number | undefined;
  #paused: boolean;
  #closed = false;
  readonly #closeListeners = new Set<() => void>();
  readonly #rtcpSsrc = randomSsrc();
  #lastKeyFrameRequest = 0;
  // Receive statistics (RFC 3550 A.3) for receiver reports.
  #baseSeq = -1;
  #maxSeq = 0;
  #cycles = 0;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #lastSr = 0;
  #jitter = 0;
  #lastTransit: number | null = null;
  #lastSrAt = 0;
  packetsForwarded = 0;

  constructor(
    transport: WebRtcTransport,
    rtp: ProducerRtp,
    rtpParameters: RtpParameters,
    appData: ProducerAppData,
    paused: boolean,
  ) {
    this.transport = transport;
    this.kind = rtp.kind;
    this.rtp = rtp;
    this.rtpParameters = rtpParameters;
    this.appData = appData;
    this.ssrc = rtp.ssrcs[0];
    this.#paused = paused;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Does this packet belong to this producer (its SSRC, or its MID when no SSRC was announced)? */
  matches(packet: RtpPacket): boolean {
    if (this.rtp.rtx && packet.header.ssrc === this.rtp.rtx.ssrc) return true;
    if (this.ssrc !== undefined) return packet.header.ssrc === this.ssrc;
    const midId = this.rtp.extensionIds.get(HeaderExtensionUri.mid);
    const ext = packet.header.extensions.find((e) => e.id === midId);
    if (!ext || ext.payload.toString() !== this.rtp.mid) return false;
    this.ssrc = packet.header.ssrc;
    return true;
  }

  /** One packet from the sender: statistics, then a copy to every consumer. */
  receive(packet: RtpPacket): void {
    if (this.#closed) return;
    if (this.rtp.rtx && packet.header.ssrc === this.rtp.rtx.ssrc) {
      this.#receiveRtx(packet);
      return;
    }
    this.#count(packet.header.sequenceNumber);
    this.#measureJitter(packet.header.timestamp);
    if (this.#paused) return;
    if (packet.header.payloadType !== this.rtp.payloadType || packet.payload.length === 0) {
      // Padding-only probes (and codecs we do not forward) are not sent on; consumers close the gap.
      for (const consumer of this.consumers) consumer.skipped(packet.header.sequenceNumber);
      return;
    }
    for (const consumer of this.consumers) consumer.send(packet);
    this.packetsForwarded++;
  }

  /** A retransmission on the RTX stream: the original packet is its payload after the OSN. */
  #receiveRtx(packet: RtpPacket): void {
    const header = packet.header;
    // Payload-less RTX packets are the sender's bandwidth probes.
    if (this.#paused || header.payloadType !== this.rtp.rtx!.payloadType || packet.payload.length <= 2) return;
    header.sequenceNumber = packet.payload.readUInt16BE(0);
    header.ssrc = this.ssrc!;
    header.payloadType = this.rtp.payloadType;
    packet.payload = packet.payload.subarray(2);
    for (const consumer of this.consumers) consumer.send(packet);
  }

  #count(seq: number): void {
    this.#received++;
    if (this.#baseSeq < 0) {
      this.#baseSeq = seq;
      this.#maxSeq = seq;
      return;
    }
    const delta = (seq - this.#maxSeq) & 0xffff;
    if (delta > 0 && delta < 0x8000) {
      if (delta > 1 && delta <= MAX_NACKED_GAP) this.#nackGap(this.#maxSeq, delta);
      if (seq < this.#maxSeq) this.#cycles += 0x10000;
      this.#maxSeq = seq;
    }
  }

  /** Packets missing between the last one and this one: ask the sender for them once. */
  #nackGap(last: number, delta: number): void {
    if (!this.rtp.nack || this.ssrc === undefined) return;
    const lost: number[] = [];
    for (let i = 1; i < delta; i++) lost.push((last + i) & 0xffff);
    this.transport.sendRtcp([
      new RtcpTransportLayerFeedback({
        feedback: new GenericNack({ senderSsrc: this.#rtcpSsrc, mediaSourceSsrc: this.ssrc, lost }),
      }),
    ]);
  }

  /** Interarrival jitter (RFC 3550 6.4.1), in RTP timestamp units. */
  #measureJitter(timestamp: number): void {
    const arrival = (performance.now() * this.rtp.routerCodec.clockRate) / 1000;
    const transit = arrival - timestamp;
    if (this.#lastTransit !== null) {
      const d = Math.abs(transit - this.#lastTransit);
      // Packets of one video frame share a timestamp; a jump of seconds is a wrap or a new stream.
      if (d < this.rtp.routerCodec.clockRate * 10) this.#jitter += (d - this.#jitter) / 16;
    }
    this.#lastTransit = transit;
  }

  onSenderReport(sr: RtcpSrPacket): void {
    // The middle 32 bits of the NTP timestamp, as the receiver report's LSR field wants them.
    this.#lastSr = Number((sr.senderInfo.ntpTimestamp >> 16n) & 0xffffffffn);
    this.#lastSrAt = Date.now();
  }

  /** A receiver report block for the sender, or null before the first packet. */
  receiverReport(): RtcpRrPacket | null {
    if (this.ssrc === undefined || this.#baseSeq < 0) return null;
    const extMax = this.#cycles + this.#maxSeq;
    const expected = extMax - this.#baseSeq + 1;
    const lost = Math.max(0, expected - this.#received);
    const expectedInterval = expected - this.#expectedPrior;
    const lostInterval = expectedInterval - (this.#received - this.#receivedPrior);
    this.#expectedPrior = expected;
    this.#receivedPrior = this.#received;
    const fraction =
      expectedInterval > 0 && lostInterval > 0 ? Math.min(255, Math.floor((lostInterval << 8) / expectedInterval)) : 0;
    const dlsr = this.#lastSrAt === 0 ? 0 : Math.floor(((Date.now() - this.#lastSrAt) / 1000) * 65536);
    return new RtcpRrPacket({
      ssrc: this.#rtcpSsrc,
      reports: [
        new RtcpReceiverInfo({
          ssrc: this.ssrc,
          fractionLost: fraction,
          packetsLost: Math.min(lost, 0x7fffff),
          highestSequence: extMax >>> 0,
          jitter: Math.min(Math.round(this.#jitter), 0xffffffff),
          lsr: this.#lastSr,
          dlsr,
        }),
      ],
    });
  }

  /** REMB for a video sender (goog-remb is in the router's capabilities), null for audio. */
  estimatedMaxBitrate(): RtcpPayloadSpecificFeedback | null {
    if (this.kind !== 'video' || this.ssrc === undefined || this.#closed) return null;
    let mantissa = VIDEO_MAX_BITRATE;
    let exp = 0;
    while (mantissa > 0x3ffff) {
      mantissa >>= 1;
      exp++;
    }
    return new RtcpPayloadSpecificFeedback({
      feedback: new ReceiverEstimatedMaxBitrate({
        senderSsrc: this.#rtcpSsrc,
        mediaSsrc: 0,
        brExp: exp,
        brMantissa: mantissa,
        ssrcNum: 1,
        ssrcFeedbacks: [this.ssrc],
      }),
    });
  }

  /** Asks the sender for a keyframe (PLI), at most once per KEYFRAME_REQUEST_GAP_MS. */
  requestKeyFrame(): void {
    if (this.kind !== 'video' || this.#closed || this.ssrc === undefined) return;
    const now = Date.now();
    if (now - this.#lastKeyFrameRequest < KEYFRAME_REQUEST_GAP_MS) return;
    this.#lastKeyFrameRequest = now;
    this.transport.sendRtcp([
      new RtcpPayloadSpecificFeedback({
        feedback: new PictureLossIndication({ senderSsrc: this.#rtcpSsrc, mediaSsrc: this.ssrc }),
      }),
    ]);
  }

  pause(): void {
    this.#paused = true;
    for (const consumer of this.consumers) consumer.producerPaused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    for (const consumer of this.consumers) consumer.producerPaused = false;
    this.requestKeyFrame();
  }

  onClose(listener: () => void): void {
    this.#closeListeners.add(listener);
  }

  /** Closes the producer and, with it, every consumer of it. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const consumer of [...this.consumers]) consumer.close('producer-closed');
    for (const listener of [...this.#closeListeners]) listener();
    this.#closeListeners.clear();
  }
}
