/**
 * One peer's link to an SFU instance: the instance socket (handshake, presence, signaling), a
 * mediasoup-client Device, a send and a recv transport created on demand, data producers per
 * label, and a consumer for every other peer's producer. A failed transport is re-created; a
 * dropped socket that resumes keeps all of it, and only what changed meanwhile is mended.
 */
import type { Device } from 'mediasoup-client';
import type { Consumer, Producer, RtpCapabilities, Transport } from 'mediasoup-client/types';
import type * as v from 'valibot';
import { IrError } from '../../core/errors.js';
import type { Peer, SendOptions } from '../../core/instance-spec.js';
import { createLogger } from '../../core/logger.js';
import {
  type Action,
  type MediaSource,
  mediaSourceOf,
  mediaTagOf,
  type ProvisionedInstance,
  RELIABLE_DATA_CHANNEL,
  UNRELIABLE_DATA_CHANNEL,
} from '../../protocol/index.js';
import { connectInstanceSocket, type InstanceSocket } from '../instance-socket/instance-socket.js';
import type { CloseOptions, RemoteTrack, TransportContext, TransportHandle } from '../transport-adapter.js';
import { ActionRequests } from './action-requests.js';
import { DataChannels } from './data-channels.js';
import { encodeEnvelope } from './data-envelope.js';
import { probedDevice } from './device-probe.js';
import {
  ClosedConsumer,
  ClosedProducer,
  ConsumerCreated,
  Media,
  ProducerCreated,
  ProducerPaused,
  rtpParametersOf,
} from './replies.js';
import { type Direction, parseReply, TransportPair } from './transport-pair.js';

const log = createLogger('mediasoup');

/** Delay before a failed transport is requested again. */
const RECREATE_DELAY_MS = 1_000;

interface RemoteProducer {
  producerID: string;
  peerID: string;
  source: MediaSource;
  paused: boolean;
  consumer?: Consumer;
  remote?: RemoteTrack;
  /** Set while the consumer is being requested. */
  pending?: boolean;
}

const parse = parseReply;

export class SfuLink implements TransportHandle {
  readonly #context: TransportContext;
  readonly #instance: ProvisionedInstance;
  readonly #closing = new AbortController();
  readonly #requests: ActionRequests;
  readonly #peerIDs = new Map<number, string>();
  #transports: TransportPair | undefined;
  #data: DataChannels | undefined;
  readonly #producers = new Map<MediaSource, Promise<Producer>>();
  readonly #published = new Map<MediaSource, { track: MediaStreamTrack; paused: boolean }>();
  readonly #remote = new Map<string, RemoteProducer>();
  readonly #queued: { action: Action; live: boolean }[] = [];
  #socket: InstanceSocket | undefined;
  #device: Device | undefined;
  #ended = false;

  constructor(instance: ProvisionedInstance, context: TransportContext) {
    this.#instance = instance;
    this.#context = context;
    this.#requests = new ActionRequests(() => this.#socket, context.peerID);
  }

  get peerIndex(): number {
    return this.#socket?.peerIndex ?? -1;
  }

  get peers(): readonly Peer[] {
    return this.#socket?.peers ?? [];
  }

  async start(): Promise<TransportHandle> {
    const { callbacks } = this.#context;
    // The browser's capabilities are probed while the socket opens.
    const factory = probedDevice();
    factory.catch(() => undefined);
    this.#socket = await connectInstanceSocket(
      this.#instance,
      {
        ...this.#context,
        callbacks: {
          ...callbacks,
          peerJoined: (peer) => {
            this.#peerIDs.set(peer.peerIndex, peer.peerID);
            callbacks.peerJoined(peer);
          },
          peerLeft: (peer) => {
            this.#onPeerLeft(peer.peerID);
            callbacks.peerLeft(peer);
          },
          closed: (info) => {
            this.#teardown(info.error ?? new IrError('TRANSPORT_FAILED', 'the instance socket ended'));
            callbacks.closed(info);
          },
        },
      },
      {},
      { action: (action, live) => this.#onAction(action, live), resumed: (cached) => this.#onResumed(cached) },
    );
    // Aborting the join closes the link, which fails the requests still running.
    const { signal } = this.#context;
    const onAbort = () => this.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      signal.throwIfAborted();
      for (const peer of this.#socket.peers) this.#peerIDs.set(peer.peerIndex, peer.peerID);
      const capabilities = this.#socket.routerRtpCapabilities;
      if (capabilities === null || typeof capabilities !== 'object') {
        throw new IrError('PROTOCOL_ERROR', 'the handshake carried no routerRtpCapabilities');
      }
      // The device loads while the host makes the transports: asking for them needs no device.
      const loading = loadDevice(factory, capabilities as RtpCapabilities);
      loading.catch(() => undefined);
      this.#transports = new TransportPair({
        device: loading,
        requests: this.#requests,
        peerID: this.#context.peerID,
        signal: this.#closing.signal,
        iceServers: this.#context.spec.iceServers as RTCIceServer[] | undefined,
        failed: (direction, why) => this.#onTransportFailed(direction, why),
      });
      this.#data = new DataChannels({
        transport: (direction) => this.#transport(direction),
        requests: this.#requests,
        signal: this.#closing.signal,
        peerIDOf: (index) => this.#peerIDs.get(index),
        message: (message) => this.#context.callbacks.message(message),
      });
      // The send side opens meanwhile, so the first send() need not wait for it.
      this.#data.prepare();
      // Joined means messages reach us: both data consumers are open before connect() resolves.
      const consumed = this.#data.consumeAll();
      consumed.catch(() => undefined);
      this.#device = await loading;
      for (const { action, live } of this.#queued.splice(0)) this.#onAction(action, live);
      await consumed;
      signal.throwIfAborted();
    } catch (error) {
      this.close();
      if (signal.aborted) throw signal.reason;
      throw error instanceof IrError ? error : toTransportError(error);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    return this;
  }

  async send(data: unknown, options: SendOptions = {}): Promise<void> {
    const bytes = encodeEnvelope(data, options.channel, options.to);
    const label = options.reliable === false ? UNRELIABLE_DATA_CHANNEL : RELIABLE_DATA_CHANNEL;
    if (!this.#data || this.#ended) throw IrError.invalidState('the link is closed');
    await this.#data.send(bytes, label);
  }

  async publish(source: MediaSource, track: MediaStreamTrack, paused = false): Promise<void> {
    const previous = this.#published.get(source);
    this.#published.set(source, { track, paused });
    const existing = this.#producers.get(source);
    if (existing) {
      const producer = await existing;
      await producer.replaceTrack({ track });
      if (previous && previous.paused !== paused) await this.setPaused(source, paused);
      return;
    }
    await this.#produce(source, track, paused);
  }

  async unpublish(source: MediaSource): Promise<void> {
    this.#published.delete(source);
    const pending = this.#producers.get(source);
    this.#producers.delete(source);
    const producer = await pending?.catch(() => undefined);
    if (!producer) return;
    producer.close();
    this.#socket?.dispatch({ type: Media.MEDIA_CLOSED_PRODUCER, producerID: producer.id }, 'all');
  }

  async setPaused(source: MediaSource, paused: boolean): Promise<void> {
    const published = this.#published.get(source);
    if (!published) throw IrError.invalidState(`nothing is published as ${source}`);
    published.paused = paused;
    const producer = await this.#producers.get(source);
    if (!producer) return;
    if (paused) producer.pause();
    else producer.resume();
    this.#socket?.dispatch(
      { type: Media.MEDIA_PRODUCER_PAUSED, producerID: producer.id, paused, globalMute: false },
      'all',
    );
  }

  close(options?: CloseOptions): void {
    if (this.#ended) return;
    this.#teardown(IrError.invalidState('the link was closed'));
    this.#socket?.close(options);
  }

  #teardown(error: IrError): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#closing.abort(error);
    this.#requests.rejectAll(error);
    this.#transports?.closeAll();
    this.#producers.clear();
    this.#remote.clear();
  }

  // --- signaling -------------------------------------------------------------------------------

  #onAction(action: Action, live: boolean): void {
    if (this.#ended) return;
    if (this.#requests.handle(action)) return;
    if (!this.#device) {
      this.#queued.push({ action, live });
      return;
    }
    try {
      switch (action.type) {
        case Media.MEDIA_PRODUCER_CREATED:
          this.#onProducerCreated(parse(ProducerCreated, action, 'MEDIA_PRODUCER_CREATED'), action.$peer);
          break;
        case Media.MEDIA_PRODUCER_PAUSED:
          this.#onProducerPaused(parse(ProducerPaused, action, 'MEDIA_PRODUCER_PAUSED'));
          break;
        case Media.MEDIA_CLOSED_PRODUCER:
          this.#closeRemote(parse(ClosedProducer, action, 'MEDIA_CLOSED_PRODUCER').producerID);
          break;
        case Media.MEDIA_CLOSED_CONSUMER: {
          const { consumerID } = parse(ClosedConsumer, action, 'MEDIA_CLOSED_CONSUMER');
          for (const remote of this.#remote.values()) {
            if (remote.consumer?.id === consumerID) this.#closeRemote(remote.producerID);
          }
          break;
        }
      }
    } catch (error) {
      log.debug(`dropping an action: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * The socket resumed: consumers of producers that closed while it was down go, producers that
   * appeared are consumed, and pause states are brought up to date, all from the instance's cache.
   */
  #onResumed(cached: Action[]): void {
    const live = new Set<unknown>();
    for (const action of cached) if (action.type === Media.MEDIA_PRODUCER_CREATED) live.add(action.producerID);
    for (const producerID of [...this.#remote.keys()]) if (!live.has(producerID)) this.#closeRemote(producerID);
    for (const action of cached) this.#onAction(action, false);
  }

  #onPeerLeft(peerID: string): void {
    for (const remote of [...this.#remote.values()]) if (remote.peerID === peerID) this.#closeRemote(remote.producerID);
    for (const [index, id] of this.#peerIDs) if (id === peerID) this.#peerIDs.delete(index);
  }

  // --- transports ------------------------------------------------------------------------------

  #transport(direction: Direction): Promise<Transport> {
    if (!this.#transports) return Promise.reject(IrError.invalidState('the mediasoup device is not loaded'));
    return this.#transports.get(direction);
  }

  #onTransportFailed(direction: Direction, why: string): void {
    if (this.#ended) return;
    log.debug(`the ${direction} transport ${why}: re-creating it`);
    if (direction === 'send') {
      const sources = [...this.#producers.keys()];
      this.#producers.clear();
      this.#data?.forgetProducers();
      setTimeout(() => {
        for (const source of sources) {
          const published = this.#published.get(source);
          // A publish() meanwhile already made a producer on the new transport.
          if (published && !this.#ended && !this.#producers.has(source))
            void this.#produce(source, published.track, published.paused).catch(() => undefined);
        }
      }, RECREATE_DELAY_MS);
    } else {
      const remotes = [...this.#remote.values()];
      for (const remote of remotes) this.#closeRemote(remote.producerID);
      setTimeout(() => {
        if (this.#ended) return;
        void this.#data?.consumeAll().catch(() => undefined);
        const present = new Set(this.#peerIDs.values());
        for (const remote of remotes) {
          if (!present.has(remote.peerID)) continue;
          this.#onProducerCreated(
            { producerID: remote.producerID, peerID: remote.peerID, mediaTag: mediaTagOf[remote.source] },
            undefined,
          );
        }
      }, RECREATE_DELAY_MS);
    }
  }

  // --- media -----------------------------------------------------------------------------------

  #produce(source: MediaSource, track: MediaStreamTrack, paused: boolean): Promise<Producer> {
    const producing = (async () => {
      const transport = await this.#transport('send');
      const channelId = this.#context.spec.channelId ?? this.#instance.channelId ?? null;
      const producer = await transport.produce({
        track,
        stopTracks: false,
        appData: { mediaTag: mediaTagOf[source], peerID: this.#context.peerID, direction: 'send', channelId },
      });
      if (paused) {
        producer.pause();
        this.#socket?.dispatch(
          { type: Media.MEDIA_PRODUCER_PAUSED, producerID: producer.id, paused, globalMute: false },
          'all',
        );
      }
      return producer;
    })();
    this.#producers.set(source, producing);
    producing.catch(() => {
      if (this.#producers.get(source) === producing) this.#producers.delete(source);
    });
    return producing;
  }

  #onProducerCreated(created: v.InferOutput<typeof ProducerCreated>, sender: string | undefined): void {
    const peerID = created.peerID ?? sender;
    const source = mediaSourceOf(created.mediaTag);
    if (!peerID || peerID === this.#context.peerID || !source) return;
    const known = this.#remote.get(created.producerID);
    if (known?.consumer || known?.pending) return;
    const remote: RemoteProducer = known ?? { producerID: created.producerID, peerID, source, paused: false };
    remote.pending = true;
    this.#remote.set(created.producerID, remote);
    this.#consume(remote).catch((error: unknown) => {
      remote.pending = false;
      // Forgotten, so a later MEDIA_PRODUCER_CREATED for it tries again.
      if (this.#remote.get(remote.producerID) === remote && !remote.consumer) this.#remote.delete(remote.producerID);
      if (this.#ended) return;
      log.debug(`could not consume ${source} of ${peerID}`, error);
      // An answer lost with a dropped socket: ask again while its peer is here (NOT_FOUND ends it).
      if (IrError.is(error, 'TIMEOUT') && [...this.#peerIDs.values()].includes(peerID)) {
        this.#onProducerCreated(created, sender);
      }
    });
  }

  async #consume(remote: RemoteProducer): Promise<void> {
    const transport = await this.#transport('recv');
    const tag = mediaTagOf[remote.source];
    const reply = await this.#requests.request({
      action: {
        type: Media.MEDIA_REQUEST_CONSUMER,
        peerID: remote.peerID,
        mediaTag: tag,
        rtpCapabilities: this.#requireDevice().recvRtpCapabilities,
        channelID: this.#context.spec.channelId ?? this.#instance.channelId ?? null,
      },
      reply: Media.MEDIA_CREATED_CONSUMER,
      errors: [Media.MEDIA_REQUEST_CONSUMER_ERROR],
      matches: (action) => action.peerID === remote.peerID && action.mediaTag === tag,
      signal: this.#closing.signal,
    });
    const created = parse(ConsumerCreated, reply, 'MEDIA_CREATED_CONSUMER');
    // Now, before the await: a MEDIA_PRODUCER_PAUSED that arrives while the consumer is made is newer.
    if (created.producerPaused !== undefined) remote.paused = created.producerPaused;
    const consumer = await transport.consume({
      id: created.consumerID,
      producerId: created.producerID,
      kind: created.kind,
      rtpParameters: rtpParametersOf(created),
    });
    // Closed (producer gone, peer left, link closed) while the consumer was being made.
    if (this.#ended || this.#remote.get(remote.producerID) !== remote) {
      consumer.close();
      return;
    }
    if (created.paused) {
      this.#socket?.dispatch({ type: Media.MEDIA_CONSUMER_PAUSED, consumerID: consumer.id, paused: false });
    }
    remote.pending = false;
    remote.consumer = consumer;
    remote.remote = { peerID: remote.peerID, source: remote.source, track: consumer.track, paused: remote.paused };
    this.#context.callbacks.trackAdded(remote.remote);
  }

  #onProducerPaused({ producerID, paused }: v.InferOutput<typeof ProducerPaused>): void {
    const remote = this.#remote.get(producerID);
    if (!remote) return;
    remote.paused = paused;
    if (!remote.remote || remote.remote.paused === paused) return;
    remote.remote = { ...remote.remote, paused };
    this.#context.callbacks.trackPaused(remote.peerID, remote.source, paused);
  }

  #closeRemote(producerID: string): void {
    const remote = this.#remote.get(producerID);
    if (!remote) return;
    this.#remote.delete(producerID);
    remote.consumer?.close();
    if (remote.remote) this.#context.callbacks.trackRemoved(remote.remote);
  }

  #requireDevice(): Device {
    if (!this.#device) throw IrError.invalidState('the mediasoup device is not loaded');
    return this.#device;
  }
}

/** The browser's device (probed while the socket opened), loaded with the router's capabilities. */
async function loadDevice(factory: Promise<Device>, routerRtpCapabilities: RtpCapabilities): Promise<Device> {
  const device = await factory.catch((error: unknown) => {
    throw new IrError('UNSUPPORTED', `this browser cannot use the SFU: ${String(error)}`, {
      cause: error,
      retryable: false,
    });
  });
  await device.load({ routerRtpCapabilities });
  return device;
}

function toTransportError(error: unknown): IrError {
  return new IrError('TRANSPORT_FAILED', error instanceof Error ? error.message : String(error), { cause: error });
}
