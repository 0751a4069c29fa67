/**
 * Kicks between processes: the process that took `POST /api/instances/:id/kick` records the kick
 * in the store (so joins are refused everywhere) and announces it here; every instance server
 * closes the kicked peer's sockets in the instances it hosts. On Redis this is pub/sub on one
 * channel under the key prefix; a lost message costs only the live sockets (the kick stays
 * recorded, and the next join is refused).
 */
import { Redis, type RedisOptions } from 'ioredis';
import * as v from 'valibot';
import type { Logger } from '../logger.js';
import { type Kick, StoreUnavailableError } from '../store/store.js';

export interface KickNotice {
  instanceId: string;
  kick: Kick;
}

export interface KickChannel {
  /** Tells every process (this one included) about a kick. */
  publish(notice: KickNotice): Promise<void>;
  /** Calls `listener` for every kick any process publishes. */
  subscribe(listener: (notice: KickNotice) => void): void;
  close(): Promise<void>;
}

const KickNoticeSchema = v.object({
  instanceId: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
  kick: v.object({
    peerId: v.optional(v.pipe(v.string(), v.maxLength(256))),
    userId: v.optional(v.pipe(v.string(), v.maxLength(256))),
    until: v.pipe(v.number(), v.finite()),
  }),
});

/** One process: the kick reaches its own listeners only. */
export class LocalKickChannel implements KickChannel {
  readonly #listeners = new Set<(notice: KickNotice) => void>();

  async publish(notice: KickNotice): Promise<void> {
    for (const listener of this.#listeners) listener(notice);
  }

  subscribe(listener: (notice: KickNotice) => void): void {
    this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}

/** Redis pub/sub: a subscriber connection of its own (ioredis subscribes again after a reconnect). */
export class RedisKickChannel implements KickChannel {
  readonly #publisher: Redis;
  readonly #url: string;
  readonly #options: RedisOptions;
  /** Made by the first subscribe(): an API process alone only publishes. */
  #subscriber: Redis | null = null;
  readonly #channel: string;
  readonly #log: Logger;
  readonly #listeners = new Set<(notice: KickNotice) => void>();
  #closed = false;

  constructor(url: string, prefix: string, log: Logger) {
    this.#channel = `${prefix}kicks`;
    this.#log = log;
    this.#url = url;
    const options: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 3000,
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
      disconnectTimeout: 200,
    };
    this.#options = options;
    this.#publisher = new Redis(url, options);
    // The store logs Redis outages; these connections only need their errors handled.
    this.#publisher.on('error', () => undefined);
  }

  async publish(notice: KickNotice): Promise<void> {
    try {
      await this.#publisher.publish(this.#channel, JSON.stringify(notice));
    } catch (error) {
      throw new StoreUnavailableError(`Redis is unavailable (publish): ${(error as Error).message}`, { cause: error });
    }
  }

  subscribe(listener: (notice: KickNotice) => void): void {
    this.#listeners.add(listener);
    if (this.#subscriber || this.#closed) return;
    // It queues its SUBSCRIBE until connected, and ioredis subscribes again after each reconnect.
    const subscriber = new Redis(this.#url, { ...this.#options, enableOfflineQueue: true, commandTimeout: undefined });
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.#channel) this.#receive(text);
    });
    subscriber.subscribe(this.#channel).catch((error: unknown) => {
      if (!this.#closed) this.#log.warn({ err: error }, 'cannot subscribe to kicks yet; ioredis retries');
    });
    this.#subscriber = subscriber;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#publisher.disconnect();
    this.#subscriber?.disconnect();
  }

  #receive(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    const notice = v.safeParse(KickNoticeSchema, parsed);
    if (!notice.success) {
      this.#log.warn('a kick notice on Redis could not be read; ignored');
      return;
    }
    for (const listener of this.#listeners) listener(notice.output as KickNotice);
  }
}
