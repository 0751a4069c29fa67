/**
 * The instance host's side of media signaling (PROTOCOL.md §2, `ee.engine.network.mediasoup.*`):
 * requests answered with the SFU engine, the producer actions kept for late joiners, and everything
 * a peer made closed when its socket goes. Data producers/consumers and the fan-out are in
 * data-signaling.ts.
 */
import { randomUUID } from 'node:crypto';
import {
  type Action,
  MediasoupAction as M,
  MEDIASOUP_ACTION_PREFIX,
  MediaClosedConsumer,
  MediaClosedProducer,
  MediaConsumerPaused,
  MediaCreateProducer,
  MediaErrorCode,
  MediaProducerPaused,
  MediaRequestConsumer,
  parseWire,
  TransportRequestConnect,
  TransportRequestCreate,
} from '../../protocol/index.js';
import type { Logger } from '../logger.js';
import type { SfuEngine } from '../sfu/engine.js';
import type { Producer } from '../sfu/producer.js';
import type { Router } from '../sfu/router.js';
import { ParameterError, ROUTER_RTP_CAPABILITIES } from '../sfu/rtp-parameters.js';
import { TransportError, type WebRtcTransport } from '../sfu/webrtc-transport.js';
import { DataSignaling } from './data-signaling.js';
import { MEDIA_LIMITS, type MediaPeer, type MediaRoom, type PeerMedia, type Reply } from './media-types.js';

const NUM_STREAMS = { OS: 1024, MIS: 1024 };

interface RoomMedia {
  router: Router;
}

export { MEDIA_LIMITS, type MediaPeer, type MediaRoom } from './media-types.js';

export class MediaSignaling {
  readonly #engine: SfuEngine;
  readonly #log: Logger;
  readonly #rooms = new Map<string, RoomMedia>();
  readonly #peers = new Map<MediaPeer, PeerMedia>();

  readonly #data: DataSignaling;

  constructor(engine: SfuEngine, log: Logger) {
    this.#engine = engine;
    this.#log = log;
    this.#data = new DataSignaling({
      log,
      peer: (member) => this.#peer(member),
      existing: (member) => this.#peers.get(member),
      latest: (media, direction) => this.#latest(media, direction),
    });
  }

  /** What the handshake's `routerRtpCapabilities` carries. */
  get routerRtpCapabilities() {
    return ROUTER_RTP_CAPABILITIES;
  }

  /**
   * A media action from a joined peer. Requests are answered here and go no further ('consumed');
   * MEDIA_PRODUCER_PAUSED / MEDIA_CLOSED_PRODUCER of the sender's own producers go on to the
   * others ('forward'); anything else of the prefix is dropped ('consumed').
   */
  onAction(room: MediaRoom, member: MediaPeer, action: Action): 'consumed' | 'forward' {
    const type = action.type;
    const fields = action as Record<string, unknown>;
    const reply = (reply: Record<string, unknown> & { type: string }) => this.#reply(room, member, action, reply);
    switch (type) {
      case M.TRANSPORT_REQUEST_CREATE:
        void this.#createTransport(room, member, fields, reply);
        return 'consumed';
      case M.TRANSPORT_REQUEST_CONNECT:
        this.#connectTransport(member, fields, reply);
        return 'consumed';
      case M.MEDIA_CREATE_PRODUCER:
        this.#produce(room, member, fields, reply);
        return 'consumed';
      case M.MEDIA_REQUEST_CONSUMER:
        this.#consume(room, member, fields, reply);
        return 'consumed';
      case M.DATA_REQUEST_PRODUCER:
        this.#data.produceData(room, member, fields, reply);
        return 'consumed';
      case M.DATA_REQUEST_CONSUMER:
        this.#data.consumeData(room, member, fields, reply);
        return 'consumed';
      case M.MEDIA_CONSUMER_PAUSED: {
        const p = parseWire(MediaConsumerPaused, fields);
        const consumer = p.ok ? this.#peer(member).consumers.get(p.value.consumerID) : undefined;
        if (consumer && p.ok) p.value.paused ? consumer.pause() : consumer.resume();
        return 'consumed';
      }
      case M.MEDIA_CLOSED_CONSUMER: {
        const p = parseWire(MediaClosedConsumer, fields);
        const media = this.#peer(member);
        const consumer = p.ok ? media.consumers.get(p.value.consumerID) : undefined;
        if (consumer) {
          media.closingByRequest.add(consumer.id);
          consumer.close();
        }
        return 'consumed';
      }
      case M.MEDIA_PRODUCER_PAUSED: {
        const p = parseWire(MediaProducerPaused, fields);
        const producer = p.ok ? this.#peer(member).producers.get(p.value.producerID) : undefined;
        if (!producer || !p.ok) return 'consumed';
        p.value.paused ? producer.pause() : producer.resume();
        // Latest state per producer, for late joiners; the sender's own $cache flag is not used.
        delete action.$cache;
        room.cache.remove((a) => a.type === M.MEDIA_PRODUCER_PAUSED && a.producerID === producer.id);
        room.cache.add({ ...action, $to: 'all', $cache: true });
        return 'forward';
      }
      case M.MEDIA_CLOSED_PRODUCER: {
        const p = parseWire(MediaClosedProducer, fields);
        const media = this.#peer(member);
        const producer = p.ok ? media.producers.get(p.value.producerID) : undefined;
        if (!producer) return 'consumed';
        delete action.$cache;
        media.closingByRequest.add(producer.id);
        producer.close();
        return 'forward';
      }
      default:
        // MEDIA_CONSUMER_LAYERS (no simulcast here) and replies a client has no business sending.
        return 'consumed';
    }
  }

  /** A peer left the instance (or a fresh join replaced it): close everything it made. */
  peerGone(member: MediaPeer): void {
    const media = this.#peers.get(member);
    if (!media) return;
    for (const transport of [...media.transports.values()]) transport.close();
    this.#peers.delete(member);
  }

  /** The instance ended: its router and everything on it go. */
  roomEnded(instanceId: string): void {
    const room = this.#rooms.get(instanceId);
    if (!room) return;
    this.#rooms.delete(instanceId);
    this.#data.roomEnded(instanceId);
    this.#engine.closeRouter(room.router);
  }

  close(): void {
    for (const id of [...this.#rooms.keys()]) this.roomEnded(id);
  }

  // --- requests --------------------------------------------------------------------------------

  async #createTransport(room: MediaRoom, member: MediaPeer, fields: Record<string, unknown>, reply: Reply) {
    const direction = fields.direction === 'recv' ? 'recv' : 'send';
    const fail = (error: MediaErrorCode, message: string) =>
      reply({ type: M.TRANSPORT_REQUEST_ERROR_CREATE, error, message, direction });
    const p = parseWire(TransportRequestCreate, fields);
    if (!p.ok) {
      fail(MediaErrorCode.INVALID_ARGUMENT, p.message);
      return;
    }
    const media = this.#peer(member);
    if (media.transports.size + media.pendingTransports >= MEDIA_LIMITS.transportsPerPeer) {
      fail(MediaErrorCode.LIMIT_REACHED, `at most ${MEDIA_LIMITS.transportsPerPeer} transports per peer`);
      return;
    }
    media.pendingTransports++;
    let transport: WebRtcTransport;
    try {
      transport = await this.#router(room).createWebRtcTransport({
        numStreams: NUM_STREAMS,
        appData: { peerId: member.peerId, direction: p.value.direction },
      });
    } catch (error) {
      this.#log.error({ err: error, peerID: member.peerId }, 'creating a WebRTC transport failed');
      fail(MediaErrorCode.INTERNAL_ERROR, 'the transport could not be created');
      return;
    } finally {
      media.pendingTransports--;
    }
    if (!member.open || this.#peers.get(member) !== media) {
      transport.close();
      return;
    }
    // A new transport of a direction replaces the peer's older one (a client re-creating a failed one).
    for (const old of [...media.transports.values()]) if (old.direction === transport.direction) old.close();
    media.transports.set(transport.id, transport);
    const candidate = transport.iceCandidates[0];
    this.#log.debug(
      {
        peerID: member.peerId,
        transportID: transport.id,
        direction: transport.direction,
        candidate: candidate && `${candidate.ip}:${candidate.port}`,
      },
      'transport created',
    );
    transport.onClose((reason) => {
      media.transports.delete(transport.id);
      if (reason !== 'closed')
        this.#log.info({ peerID: member.peerId, transportID: transport.id, reason }, 'transport closed');
    });
    reply({
      type: M.TRANSPORT_CREATED,
      peerID: member.peerId,
      transportID: transport.id,
      direction: transport.direction,
      sctpParameters: transport.sctpParameters,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      iceServers: [],
      dtlsParameters: transport.dtlsParameters,
    });
  }

  #connectTransport(member: MediaPeer, fields: Record<string, unknown>, reply: Reply): void {
    const fail = (error: MediaErrorCode, message: string) =>
      reply({ type: M.TRANSPORT_REQUEST_ERROR_CONNECT, error, message });
    const p = parseWire(TransportRequestConnect, fields);
    if (!p.ok) {
      fail(MediaErrorCode.INVALID_ARGUMENT, p.message);
      return;
    }
    const transport = this.#peer(member).transports.get(p.value.transportID);
    if (!transport) {
      fail(MediaErrorCode.NOT_FOUND, 'no such transport of this peer');
      return;
    }
    try {
      transport.connect({ dtlsParameters: p.value.dtlsParameters });
    } catch (error) {
      const code = error instanceof TransportError ? error.code : MediaErrorCode.INTERNAL_ERROR;
      if (code === MediaErrorCode.INVALID_ARGUMENT) transport.close('dtls-failed');
      fail(code, (error as Error).message);
      return;
    }
    reply({ type: M.TRANSPORT_CONNECTED, transportID: transport.id });
  }

  #produce(room: MediaRoom, member: MediaPeer, fields: Record<string, unknown>, reply: Reply): void {
    const fail = (error: MediaErrorCode, message: string) =>
      reply({ type: M.MEDIA_CREATE_PRODUCER_ERROR, error, message });
    const p = parseWire(MediaCreateProducer, fields);
    if (!p.ok) {
      fail(MediaErrorCode.INVALID_ARGUMENT, p.message);
      return;
    }
    const media = this.#peer(member);
    const transport = media.transports.get(p.value.transportID);
    if (!transport) {
      fail(MediaErrorCode.NOT_FOUND, 'no such transport of this peer');
      return;
    }
    if (transport.direction !== 'send') {
      fail(MediaErrorCode.WRONG_DIRECTION, 'producers go on a send transport');
      return;
    }
    const onTransport = [...media.producers.values()].filter((x) => x.transport === transport).length;
    if (onTransport >= MEDIA_LIMITS.producersPerTransport) {
      fail(MediaErrorCode.LIMIT_REACHED, `at most ${MEDIA_LIMITS.producersPerTransport} producers per transport`);
      return;
    }
    const mediaTag = p.value.appData.mediaTag;
    const channelId = p.value.appData.channelId ?? null;
    let producer: Producer;
    try {
      producer = transport.produce({
        kind: p.value.kind,
        rtpParameters: p.value.rtpParameters,
        paused: p.value.paused ?? false,
        appData: { peerId: member.peerId, mediaTag, channelId },
      });
    } catch (error) {
      if (error instanceof ParameterError) {
        fail(MediaErrorCode.UNSUPPORTED, error.message);
        return;
      }
      if (error instanceof TransportError) {
        fail(error.code, error.message);
        return;
      }
      throw error;
    }
    // One producer per media tag and peer: a newer one (after a transport was re-created) wins.
    for (const old of [...media.producers.values()]) if (old.appData.mediaTag === mediaTag) old.close();
    media.producers.set(producer.id, producer);
    producer.onClose(() => this.#producerClosed(room, member, media, producer));
    const created = this.#hostAction(room, {
      type: M.MEDIA_PRODUCER_CREATED,
      ...(typeof fields.requestID === 'string' ? { requestID: fields.requestID } : {}),
      producerID: producer.id,
      transportID: transport.id,
      peerID: member.peerId,
      mediaTag,
      channelID: channelId,
      kind: producer.kind,
      $to: 'all',
      $cache: true,
    });
    room.cache.add(created);
    for (const peer of room.peers.values()) peer.write([created]);
  }

  #producerClosed(room: MediaRoom, member: MediaPeer, media: PeerMedia, producer: Producer): void {
    media.producers.delete(producer.id);
    room.cache.remove(
      (a) =>
        (a.type === M.MEDIA_PRODUCER_CREATED || a.type === M.MEDIA_PRODUCER_PAUSED) && a.producerID === producer.id,
    );
    // The peer's own MEDIA_CLOSED_PRODUCER reaches the others by routing; any other close is announced.
    if (media.closingByRequest.delete(producer.id)) return;
    const closed = this.#hostAction(room, { type: M.MEDIA_CLOSED_PRODUCER, producerID: producer.id, $to: 'all' });
    for (const peer of room.peers.values()) if (peer !== member) peer.write([closed]);
  }

  #consume(room: MediaRoom, member: MediaPeer, fields: Record<string, unknown>, reply: Reply): void {
    const fail = (error: MediaErrorCode, message: string) =>
      reply({
        type: M.MEDIA_REQUEST_CONSUMER_ERROR,
        error,
        message,
        peerID: typeof fields.peerID === 'string' ? fields.peerID : undefined,
        mediaTag: typeof fields.mediaTag === 'string' ? fields.mediaTag : undefined,
      });
    const p = parseWire(MediaRequestConsumer, fields);
    if (!p.ok) {
      fail(MediaErrorCode.INVALID_ARGUMENT, p.message);
      return;
    }
    const { peerID, mediaTag, rtpCapabilities } = p.value;
    const owner = room.peers.get(peerID);
    const producer = owner
      ? [...this.#peer(owner).producers.values()].reverse().find((x) => x.appData.mediaTag === mediaTag)
      : undefined;
    if (!producer) {
      fail(MediaErrorCode.NOT_FOUND, `${peerID} produces no ${mediaTag}`);
      return;
    }
    const media = this.#peer(member);
    const transport = this.#latest(media, 'recv');
    if (!transport) {
      fail(MediaErrorCode.INVALID_STATE, 'create a recv transport first');
      return;
    }
    if (!this.#router(room).canConsume({ producerId: producer.id, rtpCapabilities })) {
      fail(MediaErrorCode.UNSUPPORTED, 'the rtpCapabilities cannot consume this producer');
      return;
    }
    let consumer = [...media.consumers.values()].find((c) => c.producer === producer && c.transport === transport);
    if (!consumer) {
      if (media.consumers.size >= MEDIA_LIMITS.consumersPerPeer) {
        fail(MediaErrorCode.LIMIT_REACHED, `at most ${MEDIA_LIMITS.consumersPerPeer} consumers per peer`);
        return;
      }
      const made = transport.consume({ producerId: producer.id, rtpCapabilities, appData: { peerId: member.peerId } });
      media.consumers.set(made.id, made);
      made.onClose((reason) => {
        media.consumers.delete(made.id);
        if (media.closingByRequest.delete(made.id) || !member.open || reason === 'transport-closed') return;
        member.write([
          this.#hostAction(room, { type: M.MEDIA_CLOSED_CONSUMER, consumerID: made.id, $to: member.peerId }),
        ]);
      });
      consumer = made;
    }
    reply({
      type: M.MEDIA_CREATED_CONSUMER,
      consumerID: consumer.id,
      transportID: transport.id,
      peerID,
      mediaTag,
      channelID: p.value.channelID ?? producer.appData.channelId,
      producerID: producer.id,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      consumerType: 'simple',
      paused: consumer.paused,
      producerPaused: producer.paused,
    });
  }

  #peer(member: MediaPeer): PeerMedia {
    let media = this.#peers.get(member);
    if (!media) {
      media = {
        transports: new Map(),
        pendingTransports: 0,
        producers: new Map(),
        consumers: new Map(),
        dataProducers: new Map(),
        dataConsumers: new Map(),
        closingByRequest: new Set(),
      };
      this.#peers.set(member, media);
    }
    return media;
  }

  #router(room: MediaRoom): Router {
    let media = this.#rooms.get(room.record.id);
    if (!media || media.router.closed) {
      media = { router: this.#engine.createRouter() };
      this.#rooms.set(room.record.id, media);
    }
    return media.router;
  }

  #latest(media: PeerMedia, direction: 'send' | 'recv'): WebRtcTransport | undefined {
    return [...media.transports.values()].reverse().find((t) => t.direction === direction && !t.closed);
  }

  #reply(room: MediaRoom, member: MediaPeer, request: Action, fields: Record<string, unknown> & { type: string }) {
    const requestID = (request as Record<string, unknown>).requestID;
    const action = this.#hostAction(room, {
      ...(typeof requestID === 'string' ? { requestID } : {}),
      ...fields,
      $to: member.peerId,
    });
    member.write([action]);
  }

  #hostAction(room: MediaRoom, fields: Record<string, unknown> & { type: string }): Action {
    return {
      $peer: room.record.hostPeerId,
      $topic: room.record.kind === 'world' ? 'world' : 'media',
      $network: room.record.id,
      $time: Date.now(),
      $uuid: randomUUID(),
      ...fields,
    };
  }
}

/** Whether an action type belongs to media signaling. */
export function isMediaAction(type: string): boolean {
  return type.startsWith(MEDIASOUP_ACTION_PREFIX);
}
