/**
 * This process as an instance server among others on a shared store: it registers its address,
 * capacity and load, refreshes the registration on a timer (a heartbeat whose TTL is three beats),
 * and ends the instances of servers that stopped heartbeating without closing.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';

export interface ServerHeartbeatOptions {
  store: Store;
  /** host:port its instances' records name (the advertised address). */
  address: string;
  /** Most instances allocation gives it. */
  capacity: number;
  /** A registration not refreshed for this long lapses; heartbeats go every third of it. */
  ttlMs: number;
  log: Logger;
  /** Told, every beat, the ids of the instances the store says this server hosts. */
  hosted?: (instanceIds: string[]) => void;
  now?: () => number;
}

export class ServerHeartbeat {
  readonly id = randomUUID();
  readonly #o: ServerHeartbeatOptions;
  #timer: NodeJS.Timeout | null = null;
  #beating: Promise<void> | null = null;
  #closed = false;
  /** Since when every beat reached the store (null after a failed one). */
  #healthySince: number | null = null;
  #failing = false;
  readonly #now: () => number;

  constructor(options: ServerHeartbeatOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Registers, then beats on its own; a failed beat is logged and the next one tries again. */
  async start(): Promise<void> {
    await this.#beatLogged();
    this.#schedule();
  }

  /** Stops beating and removes the registration; safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#beating;
    try {
      await this.#o.store.unregisterServer(this.id);
    } catch (error) {
      this.#o.log.warn({ err: error }, 'could not remove this server’s registration; it lapses on its own');
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#beating = this.#beatLogged().finally(() => {
        this.#beating = null;
        this.#schedule();
      });
    }, this.#o.ttlMs / 3);
    this.#timer.unref();
  }

  async #beatLogged(): Promise<void> {
    try {
      await this.beat();
      this.#failing = false;
    } catch (error) {
      // Said once per outage: the store logs the outage itself.
      if (!this.#failing) this.#o.log.warn({ err: error }, 'server heartbeat failed; retrying');
      this.#failing = true;
      this.#healthySince = null;
    }
  }

  /**
   * One heartbeat (the timer calls it): registers with the current load, then, once this server
   * has beaten without a failure for a whole TTL, ends the instances of servers that are not
   * live. The wait matters after an outage of the store: every registration lapsed meanwhile, and
   * the others must have had time to beat again before their instances are taken for orphans.
   */
  async beat(): Promise<void> {
    const { store, address, capacity, ttlMs } = this.#o;
    const started = this.#now();
    const hosted = (await store.listInstances()).filter((i) => i.server === address).map((i) => i.id);
    await store.registerServer({ id: this.id, address, capacity, load: hosted.length }, ttlMs);
    this.#o.hosted?.(hosted);
    this.#healthySince ??= started;
    if (started - this.#healthySince < ttlMs) return;
    for (const lapsed of await store.takeLapsedServers()) {
      this.#o.log.warn({ server: lapsed.address }, 'an instance server stopped heartbeating; ending its instances');
    }
    // Servers are known by address: one restarted on the same address serves its instances again.
    const live = new Set((await store.liveServers()).map((s) => s.address));
    const orphans = (await store.listInstances()).filter((i) => !live.has(i.server));
    if (orphans.length > 0)
      this.#o.log.info({ instances: orphans.length }, 'ending instances of servers that are gone');
    for (const instance of orphans) await store.endInstance(instance.id);
  }
}
