/**
 * A router in mediasoup's shape, one per instance: it makes WebRTC transports and, on them,
 * producers, consumers, data producers and data consumers; it routes RTP and RTCP between them and
 * sends the periodic RTCP reports. Closing it closes everything it made.
 */
import { randomUUID } from 'node:crypto';
import {
  GenericNack,
  PictureLossIndication,
  type RtcpPacket,
  RtcpPayloadSpecificFeedback,
  RtcpSrPacket,
  RtcpTransportLayerFeedback,
  type RtpPacket,
} from 'werift';
import type { RtpCapabilities, SctpStreamParameters } from '../../protocol/index.js';
import { Consumer } from './consumer.js';
import { DataConsumer, DataProducer } from './data-channels.js';
import { Producer } from './producer.js';
import {
  canConsume,
  consumerRtpParameters,
  ParameterError,
  producerRtp,
  ROUTER_RTP_CAPABILITIES,
} from './rtp-parameters.js';
import {
  type ConsumeDataOptions,
  type ConsumeOptions,
  type ProduceDataOptions,
  type ProduceOptions,
  TransportError,
  type TransportOwner,
  WebRtcTransport,
  type WebRtcTransportOptions,
} from './webrtc-transport.js';

export interface RouterOptions {
  listenIp: string;
  announcedAddress: string;
  portRange?: [number, number];
  connectTimeoutMs: number;
  maxMessageSize: number;
  /** Counts shared by all routers of the process (the health endpoint reads them). */
  counts: SfuCounts;
}

export interface SfuCounts {
  transports: number;
  producers: number;
  consumers: number;
  dataProducers: number;
  dataConsumers: number;
}

const RTCP_INTERVAL_MS = 1000;

export class Router implements TransportOwner {
  readonly id = randomUUID();
  readonly rtpCapabilities = ROUTER_RTP_CAPABILITIES;
  readonly transports = new Map<string, WebRtcTransport>();
  readonly producers = new Map<string, Producer>();
  readonly consumers = new Map<string, Consumer>();
  readonly dataProducers = new Map<string, DataProducer>();
  readonly dataConsumers = new Map<string, DataConsumer>();
  /** Per transport: SSRC → producer, filled as streams are first recognised (by SSRC or MID). */
  readonly #bySsrc = new Map<WebRtcTransport, Map<number, Producer>>();
  readonly #o: RouterOptions;
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(options: RouterOptions) {
    this.#o = options;
    this.#timer = setInterval(() => this.#sendReports(), RTCP_INTERVAL_MS);
    this.#timer.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  async createWebRtcTransport(
    options: Pick<WebRtcTransportOptions, 'numStreams' | 'appData'>,
  ): Promise<WebRtcTransport> {
    if (this.#closed) throw new TransportError('INVALID_STATE', 'the router is closed');
    const transport = await WebRtcTransport.create({
      ...options,
      listenIp: this.#o.listenIp,
      announcedAddress: this.#o.announcedAddress,
      ...(this.#o.portRange ? { portRange: this.#o.portRange } : {}),
      connectTimeoutMs: this.#o.connectTimeoutMs,
      maxMessageSize: this.#o.maxMessageSize,
    });
    if (this.#closed) {
      transport.close();
      throw new TransportError('INVALID_STATE', 'the router is closed');
    }
    this.transports.set(transport.id, transport);
    transport.owner = this;
    this.#o.counts.transports++;
    transport.onRtp = (packet) => this.#onRtp(transport, packet);
    transport.onRtcp = (packet) => this.#onRtcp(transport, packet);
    transport.onClose(() => {
      this.transports.delete(transport.id);
      this.#bySsrc.delete(transport);
      this.#o.counts.transports--;
      for (const p of [...this.producers.values()]) if (p.transport === transport) p.close();
      for (const c of [...this.consumers.values()]) if (c.transport === transport) c.close('transport-closed');
      for (const d of [...this.dataProducers.values()]) if (d.transport === transport) d.close();
      for (const d of [...this.dataConsumers.values()]) if (d.transport === transport) d.close();
    });
    return transport;
  }

  /** The work of transport.produce(); throws ParameterError for parameters the router cannot forward. */
  produce(transport: WebRtcTransport, { kind, rtpParameters, appData, paused = false }: ProduceOptions): Producer {
    this.#usable(transport);
    const rtp = producerRtp(kind, rtpParameters);
    for (const other of this.producers.values()) {
      if (other.transport === transport && rtp.ssrcs.length > 0 && other.rtp.ssrcs.includes(rtp.ssrcs[0]!)) {
        throw new ParameterError(`ssrc ${rtp.ssrcs[0]} is already in use on this transport`);
      }
    }
    const producer = new Producer(transport, rtp, rtpParameters, appData, paused);
    this.producers.set(producer.id, producer);
    this.#o.counts.producers++;
    producer.onClose(() => {
      this.producers.delete(producer.id);
      const streams = this.#bySsrc.get(transport);
      for (const [ssrc, p] of streams ?? []) if (p === producer) streams!.delete(ssrc);
      this.#o.counts.producers--;
    });
    return producer;
  }

  /** mediasoup's router.canConsume(). */
  canConsume({ producerId, rtpCapabilities }: { producerId: string; rtpCapabilities: RtpCapabilities }): boolean {
    const producer = this.producers.get(producerId);
    return producer !== undefined && canConsume(producer.rtp, rtpCapabilities);
  }

  /** The work of transport.consume(). */
  consume(
    transport: WebRtcTransport,
    { producerId, rtpCapabilities, paused = false, appData }: ConsumeOptions,
  ): Consumer {
    this.#usable(transport);
    const producer = this.producers.get(producerId);
    if (!producer || producer.closed) throw new TransportError('INVALID_STATE', 'no such producer');
    if (!canConsume(producer.rtp, rtpCapabilities))
      throw new ParameterError('the rtpCapabilities cannot consume this producer');
    const rtpParameters = consumerRtpParameters(producer.rtp, rtpCapabilities, transport.nextMid());
    const consumer = new Consumer(producer, transport, rtpParameters, appData.peerId, paused);
    this.consumers.set(consumer.id, consumer);
    this.#o.counts.consumers++;
    consumer.onClose(() => {
      this.consumers.delete(consumer.id);
      this.#o.counts.consumers--;
    });
    return consumer;
  }

  /** The work of transport.produceData(). */
  produceData(
    transport: WebRtcTransport,
    { sctpStreamParameters, label, protocol = '' }: ProduceDataOptions,
  ): DataProducer {
    this.#usable(transport);
    const producer = new DataProducer(transport, label, protocol, sctpStreamParameters);
    this.dataProducers.set(producer.id, producer);
    this.#o.counts.dataProducers++;
    producer.onClose(() => {
      this.dataProducers.delete(producer.id);
      this.#o.counts.dataProducers--;
    });
    return producer;
  }

  /** The work of transport.consumeData(): a data consumer on the next free SCTP stream. */
  consumeData(transport: WebRtcTransport, { label, protocol = '', ordered }: ConsumeDataOptions): DataConsumer {
    this.#usable(transport);
    const streamId = transport.nextStreamId();
    if (streamId === null) throw new TransportError('INVALID_STATE', 'no SCTP stream left on the transport');
    const stream: SctpStreamParameters = ordered
      ? { streamId, ordered: true }
      : { streamId, ordered: false, maxRetransmits: 1 };
    const consumer = new DataConsumer(transport, label, protocol, stream);
    this.dataConsumers.set(consumer.id, consumer);
    this.#o.counts.dataConsumers++;
    consumer.onClose(() => {
      this.dataConsumers.delete(consumer.id);
      this.#o.counts.dataConsumers--;
    });
    return consumer;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const transport of [...this.transports.values()]) transport.close();
  }

  #usable(transport: WebRtcTransport): void {
    if (this.#closed || transport.closed || this.transports.get(transport.id) !== transport) {
      throw new TransportError('INVALID_STATE', 'the transport is closed');
    }
  }

  #onRtp(transport: WebRtcTransport, packet: RtpPacket): void {
    const known = this.#bySsrc.get(transport)?.get(packet.header.ssrc);
    if (known) {
      known.receive(packet);
      return;
    }
    for (const producer of this.producers.values()) {
      if (producer.transport === transport && producer.matches(packet)) {
        let streams = this.#bySsrc.get(transport);
        if (!streams) {
          streams = new Map();
          this.#bySsrc.set(transport, streams);
        }
        streams.set(packet.header.ssrc, producer);
        producer.receive(packet);
        return;
      }
    }
  }

  #onRtcp(transport: WebRtcTransport, packet: RtcpPacket): void {
    if (packet instanceof RtcpSrPacket) {
      for (const p of this.producers.values())
        if (p.transport === transport && p.ssrc === packet.ssrc) p.onSenderReport(packet);
    } else if (packet instanceof RtcpPayloadSpecificFeedback) {
      const fb = packet.feedback;
      const ssrcs = fb instanceof PictureLossIndication ? [fb.mediaSsrc] : 'fir' in fb ? fb.fir.map((e) => e.ssrc) : [];
      for (const ssrc of ssrcs) this.#consumerOf(transport, ssrc)?.requestKeyFrame();
    } else if (packet instanceof RtcpTransportLayerFeedback && packet.feedback instanceof GenericNack) {
      this.#consumerOf(transport, packet.feedback.mediaSourceSsrc)?.retransmit(packet.feedback.lost);
    }
  }

  #consumerOf(transport: WebRtcTransport, ssrc: number): Consumer | undefined {
    for (const c of this.consumers.values()) if (c.transport === transport && c.ssrc === ssrc) return c;
    return undefined;
  }

  /** Receiver reports to senders, sender reports to receivers, once a second. */
  #sendReports(): void {
    for (const producer of this.producers.values()) {
      const rr = producer.receiverReport();
      const remb = producer.estimatedMaxBitrate();
      if (rr) producer.transport.sendRtcp(remb ? [rr, remb] : [rr]);
    }
    for (const consumer of this.consumers.values()) {
      const sr = consumer.senderReport();
      if (sr) consumer.transport.sendRtcp([sr]);
    }
  }
}
