/**
 * A consumer in mediasoup's shape: one producer's stream sent to one receiving transport, with its
 * own SSRC, payload type, sequence numbers and MID header extension, sender reports, NACK
 * retransmission from a short history, and keyframe requests relayed to the producer.
 */
import { randomUUID } from 'node:crypto';
import { type Extension, RtcpSenderInfo, RtcpSrPacket, RtpHeader, type RtpPacket } from 'werift';
import type { RtpParameters } from '../../protocol/index.js';
import type { Producer } from './producer.js';
import { HeaderExtensionUri, type MediaKind } from './rtp-parameters.js';
import type { WebRtcTransport } from './webrtc-transport.js';

export type ConsumerCloseReason = 'closed' | 'producer-closed' | 'transport-closed';

/** Packets kept for retransmission: about a second of 2 Mbit/s video. */
const HISTORY = 256;
const NTP_EPOCH_OFFSET = 2_208_988_800;

interface Sent {
  header: RtpHeader;
  payload: Buffer;
}

export class Consumer {
  readonly id = randomUUID();
  readonly kind: MediaKind;
  readonly producer: Producer;
  readonly transport: WebRtcTransport;
  readonly rtpParameters: RtpParameters;
  readonly peerId: string;
  readonly ssrc: number;
  producerPaused: boolean;
  #paused: boolean;
  #closed = false;
  readonly #payloadType: number;
  readonly #isKeyFrame: (payload: Buffer) => boolean;
  /** The receiver's RTX stream, when it has one: retransmissions go there (RFC 4588). */
  readonly #rtx: { ssrc: number; payloadType: number } | null;
  #rtxSeq = Math.floor(Math.random() * 0x10000);
  readonly #clockRate: number;
  /** Producer's header extension id → this consumer's id, for the extensions we pass through. */
  readonly #extensionMap = new Map<number, number>();
  readonly #midExtension: Extension | null;
  readonly #history: (Sent | undefined)[] = new Array(HISTORY);
  readonly #closeListeners = new Set<(reason: ConsumerCloseReason) => void>();
  #seqOffset = 0;
  #lastSeq = -1;
  /** Waiting for the first packet (audio) or keyframe (video) after start or resume. */
  #syncing = true;
  #packetCount = 0;
  #octetCount = 0;
  #lastTimestamp = 0;
  #lastTimestampAt = 0;

  constructor(
    producer: Producer,
    transport: WebRtcTransport,
    rtpParameters: RtpParameters,
    peerId: string,
    paused: boolean,
  ) {
    this.producer = producer;
    this.transport = transport;
    this.kind = producer.kind;
    this.rtpParameters = rtpParameters;
    this.peerId = peerId;
    this.ssrc = rtpParameters.encodings![0]!.ssrc!;
    this.#payloadType = rtpParameters.codecs[0]!.payloadType;
    this.#clockRate = rtpParameters.codecs[0]!.clockRate;
    this.#isKeyFrame = /\/h264$/i.test(rtpParameters.codecs[0]!.mimeType) ? isH264KeyFrame : isVp8KeyFrame;
    const rtxCodec = rtpParameters.codecs.find((c) => /\/rtx$/i.test(c.mimeType));
    const rtxSsrc = rtpParameters.encodings![0]!.rtx?.ssrc;
    this.#rtx = rtxCodec && rtxSsrc !== undefined ? { ssrc: rtxSsrc, payloadType: rtxCodec.payloadType } : null;
    this.producerPaused = producer.paused;
    this.#paused = paused;
    let midExtension: Extension | null = null;
    for (const ext of rtpParameters.headerExtensions ?? []) {
      if (ext.uri === HeaderExtensionUri.mid) {
        if (rtpParameters.mid !== undefined) midExtension = { id: ext.id, payload: Buffer.from(rtpParameters.mid) };
        continue;
      }
      const producerId = producer.rtp.extensionIds.get(ext.uri);
      if (producerId !== undefined) this.#extensionMap.set(producerId, ext.id);
    }
    this.#midExtension = midExtension;
    producer.consumers.add(this);
    // A video consumer starts with a keyframe, asked for once its transport can carry it.
    transport.onConnected(() => this.#requestKeyFrameIfNeeded());
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** RTP packets forwarded (retransmissions not counted). */
  get packetsSent(): number {
    return this.#packetCount;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Forwards one producer packet with this consumer's SSRC, payload type, sequence number and MID. */
  send(packet: RtpPacket): void {
    if (this.#paused || this.#closed || !this.transport.connected) return;
    const inHeader = packet.header;
    if (this.#syncing) {
      if (this.kind === 'video' && !this.#isKeyFrame(packet.payload)) {
        this.producer.requestKeyFrame();
        return;
      }
      this.#syncing = false;
      // Continue our own numbering after a pause, whatever the producer's numbers did meanwhile.
      this.#seqOffset = (this.#lastSeq + 1 - inHeader.sequenceNumber) & 0xffff;
    }
    const extensions: Extension[] = [];
    if (this.#midExtension) extensions.push(this.#midExtension);
    for (const ext of inHeader.extensions) {
      const id = this.#extensionMap.get(ext.id);
      if (id !== undefined) extensions.push({ id, payload: ext.payload });
    }
    const seq = (inHeader.sequenceNumber + this.#seqOffset) & 0xffff;
    const header = new RtpHeader({
      payloadType: this.#payloadType,
      sequenceNumber: seq,
      timestamp: inHeader.timestamp,
      ssrc: this.ssrc,
      marker: inHeader.marker,
      extensions,
    });
    if (this.#lastSeq < 0 || ((seq - this.#lastSeq) & 0xffff) < 0x8000) {
      this.#lastSeq = seq;
      this.#lastTimestamp = inHeader.timestamp;
      this.#lastTimestampAt = Date.now();
    }
    this.#history[seq % HISTORY] = { header, payload: packet.payload };
    this.#packetCount++;
    this.#octetCount += packet.payload.length;
    this.transport.sendRtp(header, packet.payload);
  }

  /**
   * A producer packet this consumer will not get (padding only): when it is the next in order,
   * the numbering moves up so the receiver sees no gap (and NACKs nothing we could not resend).
   */
  skipped(seq: number): void {
    if (this.#syncing || this.#lastSeq < 0) return;
    const out = (seq + this.#seqOffset) & 0xffff;
    if (((out - this.#lastSeq) & 0xffff) !== 1) return;
    this.#seqOffset = (this.#seqOffset - 1) & 0xffff;
  }

  /** NACK from the receiver: resend what the history still holds. */
  retransmit(lost: number[]): void {
    if (this.#closed) return;
    for (const seq of lost.slice(0, 64)) {
      const sent = this.#history[seq % HISTORY];
      if (!sent || sent.header.sequenceNumber !== seq) continue;
      if (!this.#rtx) {
        this.transport.sendRtp(sent.header, sent.payload);
        continue;
      }
      const osn = Buffer.allocUnsafe(2);
      osn.writeUInt16BE(seq, 0);
      const header = new RtpHeader({
        payloadType: this.#rtx.payloadType,
        sequenceNumber: this.#rtxSeq,
        timestamp: sent.header.timestamp,
        ssrc: this.#rtx.ssrc,
        marker: sent.header.marker,
        extensions: sent.header.extensions,
      });
      this.#rtxSeq = (this.#rtxSeq + 1) & 0xffff;
      this.transport.sendRtp(header, Buffer.concat([osn, sent.payload]));
    }
  }

  /** PLI / FIR from the receiver goes to the producer's sender. */
  requestKeyFrame(): void {
    if (!this.#closed) this.producer.requestKeyFrame();
  }

  senderReport(): RtcpSrPacket | null {
    if (this.#closed || this.#packetCount === 0) return null;
    const now = Date.now();
    const seconds = now / 1000 + NTP_EPOCH_OFFSET;
    const whole = Math.floor(seconds);
    const ntp = (BigInt(whole) << 32n) | BigInt(Math.floor((seconds - whole) * 2 ** 32));
    const elapsed = this.#paused || this.producerPaused ? 0 : now - this.#lastTimestampAt;
    return new RtcpSrPacket({
      ssrc: this.ssrc,
      senderInfo: new RtcpSenderInfo({
        ntpTimestamp: ntp,
        rtpTimestamp: (this.#lastTimestamp + Math.floor((elapsed * this.#clockRate) / 1000)) >>> 0,
        packetCount: this.#packetCount >>> 0,
        octetCount: this.#octetCount >>> 0,
      }),
    });
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#syncing = true;
    this.#requestKeyFrameIfNeeded();
  }

  #requestKeyFrameIfNeeded(): void {
    if (this.kind === 'video' && !this.#paused && !this.#closed) this.producer.requestKeyFrame();
  }

  onClose(listener: (reason: ConsumerCloseReason) => void): void {
    this.#closeListeners.add(listener);
  }

  close(reason: ConsumerCloseReason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.producer.consumers.delete(this);
    this.#history.fill(undefined);
    for (const listener of [...this.#closeListeners]) listener(reason);
    this.#closeListeners.clear();
  }
}

/** VP8 payload descriptor (RFC 7741 §4.2) then the payload header's inverse keyframe bit. */
export function isVp8KeyFrame(payload: Buffer): boolean {
  if (payload.length < 3) return false;
  const first = payload[0]!;
  const start = (first & 0x10) !== 0;
  const partition = first & 0x07;
  if (!start || partition !== 0) return false;
  let offset = 1;
  if (first & 0x80) {
    const ext = payload[offset++]!;
    if (ext & 0x80) offset += (payload[offset]! & 0x80) !== 0 ? 2 : 1;
    if (ext & 0x40) offset++;
    if (ext & 0x30) offset++;
  }
  if (offset >= payload.length) return false;
  return (payload[offset]! & 0x01) === 0;
}

/** H.264 (RFC 6184): an IDR slice or SPS, alone, first in a STAP-A, or starting an FU-A. */
export function isH264KeyFrame(payload: Buffer): boolean {
  if (payload.length < 2) return false;
  const key = (nal: number) => nal === 5 || nal === 7;
  const type = payload[0]! & 0x1f;
  if (type === 24) {
    for (let offset = 1; offset + 2 < payload.length; offset += 2 + payload.readUInt16BE(offset)) {
      if (key(payload[offset + 2]! & 0x1f)) return true;
    }
    return false;
  }
  if (type === 28) return (payload[1]! & 0x80) !== 0 && key(payload[1]! & 0x1f);
  return key(type);
}
