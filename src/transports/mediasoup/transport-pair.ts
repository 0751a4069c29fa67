/**
 * The send and recv transports of one SFU link, each created on first use through the instance
 * socket, with mediasoup-client's `connect` / `produce` / `producedata` answered by the host, and a
 * watchdog that reports a transport as failed when mediasoup-client does not.
 */
import type { Device } from 'mediasoup-client';
import type { Transport } from 'mediasoup-client/types';
import type * as v from 'valibot';
import { IrError } from '../../core/errors.js';
import { parseWire } from '../../protocol/index.js';
import type { ActionRequests } from './action-requests.js';
import { DataProducerCreated, Media, ProducerCreated, TransportCreated, transportOptionsOf } from './replies.js';

export type Direction = 'send' | 'recv';

/** A transport still not connected this long after its DTLS parameters went out has failed. */
const CONNECT_WATCHDOG_MS = 15_000;
/** `disconnected` for this long counts as failed (ICE may never say `failed` on its own). */
const DISCONNECTED_GRACE_MS = 5_000;
/** The SCTP streams Chromium offers (mediasoup-client 3.24 no longer reports them). */
const SCTP_CAPABILITIES = { numStreams: { OS: 1024, MIS: 1024 } };

export function parseReply<S extends v.GenericSchema>(schema: S, action: unknown, what: string): v.InferOutput<S> {
  const parsed = parseWire(schema, action);
  if (!parsed.ok) throw new IrError('PROTOCOL_ERROR', `bad ${what}: ${parsed.message}`);
  return parsed.value;
}

export interface TransportPairOptions {
  /** Loading while the first transports are asked for; each waits for it only to build its side. */
  device: Promise<Device>;
  requests: ActionRequests;
  peerID: string;
  /** Aborted when the link closes. */
  signal: AbortSignal;
  /** ICE servers the page set (`<ir-rooms-provider>`'s `iceServers`): used instead of the host's. */
  iceServers?: RTCIceServer[] | undefined;
  /** A transport failed; the pair has already forgotten and closed it. */
  failed(direction: Direction, why: string): void;
}

export class TransportPair {
  readonly #options: TransportPairOptions;
  readonly #transports = new Map<Direction, Promise<Transport>>();
  readonly #created = new Map<Direction, Transport>();

  constructor(options: TransportPairOptions) {
    this.#options = options;
  }

  /** The transport of a direction, created on first use (and again after a failure). */
  get(direction: Direction): Promise<Transport> {
    let transport = this.#transports.get(direction);
    if (!transport) {
      transport = this.#create(direction);
      this.#transports.set(direction, transport);
      const created = transport;
      created.catch(() => {
        if (this.#transports.get(direction) === created) this.#transports.delete(direction);
      });
    }
    return transport;
  }

  closeAll(): void {
    for (const transport of this.#transports.values()) transport.then((t) => t.close()).catch(() => undefined);
    this.#transports.clear();
    this.#created.clear();
  }

  async #create(direction: Direction): Promise<Transport> {
    const { device, requests, peerID, signal } = this.#options;
    const reply = await requests.request({
      action: { type: Media.TRANSPORT_REQUEST_CREATE, peerID, direction, sctpCapabilities: SCTP_CAPABILITIES },
      reply: Media.TRANSPORT_CREATED,
      errors: [Media.TRANSPORT_REQUEST_ERROR_CREATE],
      matches: (action) => action.direction === direction,
      signal,
    });
    const options = transportOptionsOf(parseReply(TransportCreated, reply, 'TRANSPORT_CREATED'));
    if (this.#options.iceServers) options.iceServers = this.#options.iceServers;
    const loaded = await device;
    signal.throwIfAborted();
    let transport: Transport;
    try {
      transport = direction === 'send' ? loaded.createSendTransport(options) : loaded.createRecvTransport(options);
    } catch (error) {
      throw new IrError('PROTOCOL_ERROR', `the host's transport parameters were refused: ${String(error)}`, {
        cause: error,
      });
    }
    this.#created.set(direction, transport);
    this.#watch(direction, transport);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      requests
        .request({
          action: { type: Media.TRANSPORT_REQUEST_CONNECT, transportID: transport.id, dtlsParameters },
          reply: Media.TRANSPORT_CONNECTED,
          errors: [Media.TRANSPORT_REQUEST_ERROR_CONNECT],
          matches: (action) => action.transportID === transport.id,
          signal,
        })
        .then(() => callback(), errback);
    });
    if (direction === 'send') this.#answerProduce(transport);
    return transport;
  }

  #answerProduce(transport: Transport): void {
    const { requests, peerID, signal } = this.#options;
    transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      requests
        .request({
          action: {
            type: Media.MEDIA_CREATE_PRODUCER,
            transportID: transport.id,
            kind,
            rtpParameters,
            paused: false,
            appData,
          },
          reply: Media.MEDIA_PRODUCER_CREATED,
          errors: [Media.MEDIA_CREATE_PRODUCER_ERROR],
          matches: (action) => action.peerID === peerID && action.mediaTag === appData.mediaTag,
          signal,
        })
        .then(
          (reply) => callback({ id: parseReply(ProducerCreated, reply, 'MEDIA_PRODUCER_CREATED').producerID }),
          errback,
        );
    });
    transport.on('producedata', ({ sctpStreamParameters, label, protocol, appData }, callback, errback) => {
      requests
        .request({
          action: {
            type: Media.DATA_REQUEST_PRODUCER,
            transportID: transport.id,
            protocol: protocol ?? '',
            sctpStreamParameters,
            dataChannel: label ?? '',
            appData,
          },
          reply: Media.DATA_PRODUCER_CREATED,
          errors: [Media.DATA_REQUEST_PRODUCER_ERROR],
          matches: (action) => action.dataChannel === label,
          signal,
        })
        .then(
          (reply) => callback({ id: parseReply(DataProducerCreated, reply, 'DATA_PRODUCER_CREATED').producerID }),
          errback,
        );
    });
  }

  /**
   * `failed` from the transport is not enough (mediasoup-client issue 232: a DTLS failure may never
   * show there): a transport that stays unconnected or disconnected too long has failed as well.
   */
  #watch(direction: Direction, transport: Transport): void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const fail = (why: string) => {
      clearTimeout(timer);
      if (transport.closed || this.#options.signal.aborted) return;
      transport.close();
      // Forget it only if it is still the current one (a failure may race a re-creation).
      if (this.#created.get(direction) === transport) {
        this.#created.delete(direction);
        this.#transports.delete(direction);
      }
      this.#options.failed(direction, why);
    };
    transport.on('connect', () => {
      timer = setTimeout(() => fail('was not connected in time'), CONNECT_WATCHDOG_MS);
    });
    transport.on('connectionstatechange', (state) => {
      clearTimeout(timer);
      if (state === 'failed') fail('failed');
      else if (state === 'disconnected') timer = setTimeout(() => fail('stayed disconnected'), DISCONNECTED_GRACE_MS);
    });
    transport.observer.once('close', () => clearTimeout(timer));
  }
}
