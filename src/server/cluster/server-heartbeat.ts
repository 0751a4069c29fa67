/**
 * This process as an instance server among others on a shared store: it registers its address,
 * capacity and load, refreshes the registration on a timer (a heartbeat whose TTL is three beats),
 * and ends the instances of servers whose registration lapsed: they stopped without closing.
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
}

export class ServerHeartbeat {
  readonly id = randomUUID();
  readonly #o: ServerHeartbeatOptions;
  #timer: NodeJS.Timeout | null = null;
  #beating: Promise<void> | null = null;
  #closed = false;

  constructor(options: ServerHeartbeatOptions) {
    this.#o = options;
  }

  /** Registers, then beats on its own; a failed beat is logged and the next one tries again. */
  async start(): Promise<void> {
    await this.#beat().catch((error: unknown) =>
      this.#o.log.warn({ err: error }, 'could not register this server; retrying'),
    );
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
      this.#beating = this.#beat()
        .catch((error: unknown) => this.#o.log.warn({ err: error }, 'server heartbeat failed; retrying'))
        .finally(() => {
          this.#beating = null;
          this.#schedule();
        });
    }, this.#o.ttlMs / 3);
    this.#timer.unref();
  }

  async #beat(): Promise<void> {
    const { store, address, capacity, ttlMs } = this.#o;
    const load = (await store.listInstances()).filter((i) => i.server === address).length;
    await store.registerServer({ id: this.id, address, capacity, load }, ttlMs);
    const lapsed = await store.takeLapsedServers();
    if (lapsed.length === 0) return;
    const live = new Set((await store.liveServers()).map((s) => s.address));
    const instances = await store.listInstances();
    for (const server of lapsed) {
      // A server restarted on the same address (with a new id) serves that address's instances again.
      if (live.has(server.address)) continue;
      const orphans = instances.filter((i) => i.server === server.address);
      this.#o.log.warn(
        { server: server.address, instances: orphans.length },
        'an instance server stopped heartbeating; ending its instances',
      );
      for (const instance of orphans) await store.endInstance(instance.id);
    }
  }
}
