/**
 * The data side of an SFU link: one data producer per label (the reliable, ordered channel and
 * iR Engine's unordered one), created on first send, and a data consumer per label through which
 * the host forwards the other peers' messages.
 */
import type { DataConsumer, DataProducer, Transport } from 'mediasoup-client/types';
import { IrError } from '../../core/errors.js';
import type { PeerMessage } from '../../core/instance-spec.js';
import { createLogger } from '../../core/logger.js';
import { RELIABLE_DATA_CHANNEL, UNRELIABLE_DATA_CHANNEL } from '../../protocol/index.js';
import type { ActionRequests } from './action-requests.js';
import { decodeForwarded } from './data-envelope.js';
import { DataConsumerCreated, Media, sctpStreamParametersOf } from './replies.js';
import { type Direction, parseReply } from './transport-pair.js';

const log = createLogger('mediasoup');

export const DATA_LABELS = [UNRELIABLE_DATA_CHANNEL, RELIABLE_DATA_CHANNEL] as const;
/** How long a data channel may take to open before send() or the join gives up. */
const DATA_OPEN_TIMEOUT_MS = 10_000;

/** Resolves when the channel is open; rejects after `timeoutMs` or if it closes first. */
function whenOpen(channel: DataProducer | DataConsumer, timeoutMs: number): Promise<void> {
  if (channel.readyState === 'open') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new IrError('TIMEOUT', `the data channel ${channel.label} did not open in ${timeoutMs} ms`)),
      timeoutMs,
    );
    channel.observer.once('close', () => {
      clearTimeout(timer);
      reject(new IrError('TRANSPORT_FAILED', `the data channel ${channel.label} closed`));
    });
    (channel as DataProducer).once('open', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export interface DataChannelsOptions {
  transport(direction: Direction): Promise<Transport>;
  requests: ActionRequests;
  /** Aborted when the link closes. */
  signal: AbortSignal;
  /** The peerID of the host's `fromPeerIndex`. */
  peerIDOf(peerIndex: number): string | undefined;
  message(message: PeerMessage): void;
}

export class DataChannels {
  readonly #options: DataChannelsOptions;
  readonly #producers = new Map<string, Promise<DataProducer>>();

  constructor(options: DataChannelsOptions) {
    this.#options = options;
  }

  /**
   * Sends an encoded envelope on a label. A send before the producer is open waits for it (within
   * the request and open timeouts); sends keep their order because they all wait on one promise.
   */
  async send(bytes: Uint8Array, label: string): Promise<void> {
    const producer = await this.#producer(label);
    if (this.#options.signal.aborted) throw IrError.invalidState('the link is closed');
    producer.send(bytes);
  }

  /**
   * Opens the reliable producer (the one `send()` uses by default) in the background, so the first
   * message does not wait for the send transport; a failure here is retried by that send.
   */
  prepare(): void {
    this.#producer(RELIABLE_DATA_CHANNEL).catch(() => undefined);
  }

  /** Consumes both labels; resolves once both channels are open. */
  consumeAll(): Promise<void> {
    return Promise.all(DATA_LABELS.map((label) => this.#consume(label))).then(() => undefined);
  }

  /** The send transport went: the next send makes new producers on its successor. */
  forgetProducers(): void {
    this.#producers.clear();
  }

  #producer(label: string): Promise<DataProducer> {
    let producer = this.#producers.get(label);
    if (!producer) {
      producer = (async () => {
        const transport = await this.#options.transport('send');
        const created = await transport.produceData({
          label,
          protocol: 'msgpack',
          ordered: label === RELIABLE_DATA_CHANNEL,
          ...(label === RELIABLE_DATA_CHANNEL ? {} : { maxRetransmits: 1 }),
        });
        await whenOpen(created, DATA_OPEN_TIMEOUT_MS);
        return created;
      })();
      this.#producers.set(label, producer);
      const pending = producer;
      pending.catch(() => {
        if (this.#producers.get(label) === pending) this.#producers.delete(label);
      });
    }
    return producer;
  }

  async #consume(label: string): Promise<void> {
    const { transport: transportOf, requests, signal } = this.#options;
    const transport = await transportOf('recv');
    const reply = await requests.request({
      action: { type: Media.DATA_REQUEST_CONSUMER, dataChannel: label },
      reply: Media.DATA_CREATED_CONSUMER,
      errors: [Media.DATA_REQUEST_CONSUMER_ERROR],
      matches: (action) => action.dataChannel === label,
      signal,
    });
    const created = parseReply(DataConsumerCreated, reply, 'DATA_CREATED_CONSUMER');
    const consumer = await transport.consumeData({
      id: created.consumerID,
      dataProducerId: created.producerID,
      sctpStreamParameters: sctpStreamParametersOf(created),
      label: created.dataChannel,
      protocol: created.protocol ?? '',
    });
    consumer.binaryType = 'arraybuffer';
    consumer.on('message', (message) => this.#onMessage(message));
    await whenOpen(consumer, DATA_OPEN_TIMEOUT_MS);
  }

  #onMessage(message: unknown): void {
    const forwarded = decodeForwarded(message);
    if (!forwarded) {
      log.debug('dropping a data message that is not a forwarded envelope');
      return;
    }
    const from = this.#options.peerIDOf(forwarded.fromPeerIndex);
    if (!from) {
      log.debug(`dropping a data message from unknown peer index ${forwarded.fromPeerIndex}`);
      return;
    }
    this.#options.message({ from, channel: forwarded.channel, data: forwarded.data });
  }
}
