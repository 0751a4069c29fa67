/**
 * The data half of the host's media signaling: data producers and consumers on the peers'
 * transports, and the host's fan-out of each message as msgpack `[fromPeerIndex, {ch, d}]`.
 */
import { randomUUID } from 'node:crypto';
import { decode, encode } from '@msgpack/msgpack';
import * as v from 'valibot';
import {
  DataRequestConsumer,
  DataRequestProducer,
  MediasoupAction as M,
  MAX_DATA_MESSAGE_BYTES,
  MediaErrorCode,
  parseWire,
  RELIABLE_DATA_CHANNEL,
  UNRELIABLE_DATA_CHANNEL,
} from '../../protocol/index.js';
import type { Logger } from '../logger.js';
import type { DataProducer } from '../sfu/data-channels.js';
import { TransportError, type WebRtcTransport } from '../sfu/webrtc-transport.js';
import { MEDIA_LIMITS, type MediaPeer, type MediaRoom, type PeerMedia, type Reply } from './media-types.js';

/** The labels the host fans out; other data producers are accepted but only their own. */
const FAN_OUT_LABELS = new Set<string>([UNRELIABLE_DATA_CHANNEL, RELIABLE_DATA_CHANNEL]);

const Envelope = v.object({
  ch: v.pipe(v.string(), v.maxLength(256)),
  d: v.unknown(),
  to: v.optional(v.pipe(v.array(v.string()), v.maxLength(256))),
});

/** What the data side uses of the media signaling's state. */
export interface DataContext {
  log: Logger;
  /** The peer's media, made on first use. */
  peer(member: MediaPeer): PeerMedia;
  /** The peer's media if it has any. */
  existing(member: MediaPeer): PeerMedia | undefined;
  latest(media: PeerMedia, direction: 'send' | 'recv'): WebRtcTransport | undefined;
}

export class DataSignaling {
  readonly #ctx: DataContext;
  /** Per instance, the ids of the host's (virtual) data producers, one per label. */
  readonly #hostProducers = new Map<string, Map<string, string>>();

  constructor(context: DataContext) {
    this.#ctx = context;
  }

  roomEnded(instanceId: string): void {
    this.#hostProducers.delete(instanceId);
  }

  produceData(room: MediaRoom, member: MediaPeer, fields: Record<string, unknown>, reply: Reply): void {
    const fail = (error: MediaErrorCode, message: string) =>
      reply({ type: M.DATA_REQUEST_PRODUCER_ERROR, error, message });
    const p = parseWire(DataRequestProducer, fields);
    if (!p.ok) {
      fail(MediaErrorCode.INVALID_ARGUMENT, p.message);
      return;
    }
    const media = this.#ctx.peer(member);
    const transport = media.transports.get(p.value.transportID);
    if (!transport) {
      fail(MediaErrorCode.NOT_FOUND, 'no such transport of this peer');
      return;
    }
    if (transport.direction !== 'send') {
      fail(MediaErrorCode.WRONG_DIRECTION, 'data producers go on a send transport');
      return;
    }
    const onTransport = [...media.dataProducers.values()].filter((x) => x.transport === transport).length;
    if (onTransport >= MEDIA_LIMITS.dataProducersPerTransport) {
      fail(
        MediaErrorCode.LIMIT_REACHED,
        `at most ${MEDIA_LIMITS.dataProducersPerTransport} data producers per transport`,
      );
      return;
    }
    let producer: DataProducer;
    try {
      producer = transport.produceData({
        sctpStreamParameters: p.value.sctpStreamParameters,
        label: p.value.dataChannel,
        protocol: p.value.protocol ?? '',
      });
    } catch (error) {
      if (error instanceof TransportError) {
        fail(error.code, error.message);
        return;
      }
      throw error;
    }
    media.dataProducers.set(producer.id, producer);
    producer.onClose(() => media.dataProducers.delete(producer.id));
    if (FAN_OUT_LABELS.has(producer.label)) producer.onMessage = (data) => this.#fanOut(room, member, producer, data);
    reply({
      type: M.DATA_PRODUCER_CREATED,
      producerID: producer.id,
      transportID: transport.id,
      peerID: member.peerId,
      dataChannel: producer.label,
      protocol: producer.protocol,
      sctpStreamParameters: producer.sctpStreamParameters,
      appData: p.value.appData ?? {},
    });
  }

  consumeData(room: MediaRoom, member: MediaPeer, fields: Record<string, unknown>, reply: Reply): void {
    const label = typeof fields.dataChannel === 'string' ? fields.dataChannel.slice(0, 256) : undefined;
    const fail = (error: MediaErrorCode, message: string) =>
      reply({ type: M.DATA_REQUEST_CONSUMER_ERROR, error, message, dataChannel: label });
    const p = parseWire(DataRequestConsumer, fields);
    if (!p.ok) {
      fail(MediaErrorCode.INVALID_ARGUMENT, p.message);
      return;
    }
    if (!FAN_OUT_LABELS.has(p.value.dataChannel)) {
      fail(MediaErrorCode.NOT_FOUND, `the host has no data channel ${p.value.dataChannel}`);
      return;
    }
    const media = this.#ctx.peer(member);
    const transport = this.#ctx.latest(media, 'recv');
    if (!transport) {
      fail(MediaErrorCode.INVALID_STATE, 'create a recv transport first');
      return;
    }
    let consumer = [...media.dataConsumers.values()].find(
      (c) => c.label === p.value.dataChannel && c.transport === transport,
    );
    if (!consumer) {
      try {
        const reliable = p.value.dataChannel === RELIABLE_DATA_CHANNEL;
        consumer = transport.consumeData({ label: p.value.dataChannel, protocol: 'msgpack', ordered: reliable });
      } catch (error) {
        if (error instanceof TransportError) {
          fail(error.code, error.message);
          return;
        }
        throw error;
      }
      const made = consumer;
      media.dataConsumers.set(made.id, made);
      made.onClose(() => media.dataConsumers.delete(made.id));
    }
    reply({
      type: M.DATA_CREATED_CONSUMER,
      consumerID: consumer.id,
      peerID: room.record.hostPeerId,
      producerID: this.#hostDataProducerId(room, consumer.label),
      transportID: transport.id,
      dataChannel: consumer.label,
      sctpStreamParameters: consumer.sctpStreamParameters,
      appData: {},
      protocol: consumer.protocol,
    });
  }

  // --- data fan-out ----------------------------------------------------------------------------

  /** One message from a peer's data producer: to every other joined peer, or those in `to`. */
  #fanOut(room: MediaRoom, member: MediaPeer, producer: DataProducer, data: Buffer): void {
    if (data.length > MAX_DATA_MESSAGE_BYTES) {
      this.#ctx.log.debug({ peerID: member.peerId, bytes: data.length }, 'data message too large; dropped');
      return;
    }
    let envelope: v.InferOutput<typeof Envelope>;
    try {
      const parsed = parseWire(Envelope, decode(data));
      if (!parsed.ok) throw new Error(parsed.message);
      envelope = parsed.value;
    } catch (error) {
      this.#ctx.log.debug(
        { peerID: member.peerId, reason: (error as Error).message },
        'data message is no envelope; dropped',
      );
      return;
    }
    if (!member.open || room.peers.get(member.peerId) !== member) return;
    const frame = Buffer.from(encode([member.peerIndex, { ch: envelope.ch, d: envelope.d }]));
    const targets = envelope.to ? new Set(envelope.to) : null;
    for (const peer of room.peers.values()) {
      if (peer === member || (targets && !targets.has(peer.peerId))) continue;
      const media = this.#ctx.existing(peer);
      if (!media) continue;
      for (const consumer of media.dataConsumers.values()) if (consumer.label === producer.label) consumer.send(frame);
    }
  }

  #hostDataProducerId(room: MediaRoom, label: string): string {
    let ids = this.#hostProducers.get(room.record.id);
    if (!ids) {
      ids = new Map();
      this.#hostProducers.set(room.record.id, ids);
    }
    let id = ids.get(label);
    if (!id) {
      id = randomUUID();
      ids.set(label, id);
    }
    return id;
  }
}
