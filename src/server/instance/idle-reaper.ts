/**
 * Ends instances nobody uses: once an instance has no peers and no live reservations, it ends
 * after the grace period, unless someone reserves or joins first.
 */
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';

export interface IdleReaperOptions {
  store: Store;
  graceMs: number;
  log: Logger;
  /** Peers this process has joined to the instance (the store may lag behind a socket's close). */
  peersIn(instanceId: string): number;
  /** Closes what is left of the instance here and removes it from the store. */
  end(instanceId: string): Promise<void>;
}

export class IdleReaper {
  readonly #o: IdleReaperOptions;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** Bumped by every schedule and cancel, so a check that started earlier knows it is stale. */
  readonly #generations = new Map<string, number>();
  /** The latest deadline of the reservations a pending timer waits out (see reservedUntil). */
  readonly #reservedUntil = new Map<string, number>();
  #closed = false;

  constructor(options: IdleReaperOptions) {
    this.#o = options;
  }

  /** Looks again at an instance after a reservation or a departure. */
  schedule(instanceId: string): void {
    if (this.#closed) return;
    const generation = this.#bump(instanceId);
    void this.#check(instanceId, generation).catch((error: unknown) => this.#failed(instanceId, generation, error));
  }

  /** A check that failed (the store out of reach) is tried again after the grace period. */
  #failed(instanceId: string, generation: number, error: unknown): void {
    this.#o.log.error({ err: error, instanceId }, 'idle check failed; trying again later');
    if (this.#stale(instanceId, generation)) return;
    this.#setTimer(instanceId, this.#o.graceMs, () => this.schedule(instanceId));
  }

  /** Starts looking at an instance this process has not heard of yet (one made by an API process). */
  watch(instanceId: string): void {
    if (!this.#generations.has(instanceId)) this.schedule(instanceId);
  }

  /**
   * A seat was reserved until `until`: the instance cannot be idle before, so it is looked at
   * again then, without asking the store now.
   */
  reservedUntil(instanceId: string, until: number): void {
    if (this.#closed) return;
    // While such a timer is pending a later reservation only moves its deadline: a busy location
    // reserves seats many times a second, and re-arming a timer for each is needless work.
    const pending = this.#reservedUntil.get(instanceId);
    if (pending !== undefined) {
      if (until > pending) this.#reservedUntil.set(instanceId, until);
      return;
    }
    this.#bump(instanceId);
    this.#reservedUntil.set(instanceId, until);
    this.#awaitReservations(instanceId);
  }

  /** Looks again once the latest reservation's deadline has passed. */
  #awaitReservations(instanceId: string): void {
    const until = this.#reservedUntil.get(instanceId) ?? 0;
    this.#setTimer(instanceId, Math.max(1, until - Date.now() + 1), () => {
      if ((this.#reservedUntil.get(instanceId) ?? 0) >= Date.now()) {
        this.#awaitReservations(instanceId);
        return;
      }
      this.schedule(instanceId);
    });
  }

  /** Someone joined: the instance is in use. */
  cancel(instanceId: string): void {
    this.#bump(instanceId);
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#reservedUntil.clear();
  }

  async #check(instanceId: string, generation: number): Promise<void> {
    const counts = await this.#o.store.seatCounts(instanceId);
    if (this.#stale(instanceId, generation)) return;
    if (counts.peers > 0 || this.#o.peersIn(instanceId) > 0) return;
    if (counts.reservationsExpireAt !== null) {
      // Reserved seats may still be used; look again when the last reservation lapses.
      const wait = Math.max(1, counts.reservationsExpireAt - Date.now() + 1);
      this.#setTimer(instanceId, wait, () => this.schedule(instanceId));
      return;
    }
    this.#setTimer(instanceId, this.#o.graceMs, () => {
      void this.#endIfIdle(instanceId, generation).catch((error: unknown) =>
        this.#failed(instanceId, generation, error),
      );
    });
  }

  async #endIfIdle(instanceId: string, generation: number): Promise<void> {
    const counts = await this.#o.store.seatCounts(instanceId);
    if (this.#stale(instanceId, generation)) return;
    if (counts.peers > 0 || counts.reservations > 0 || this.#o.peersIn(instanceId) > 0) {
      this.schedule(instanceId);
      return;
    }
    await this.#o.end(instanceId);
    this.#generations.delete(instanceId);
    this.#timers.delete(instanceId);
    this.#reservedUntil.delete(instanceId);
  }

  #stale(instanceId: string, generation: number): boolean {
    return this.#closed || this.#generations.get(instanceId) !== generation;
  }

  #bump(instanceId: string): number {
    this.#reservedUntil.delete(instanceId);
    const generation = (this.#generations.get(instanceId) ?? 0) + 1;
    this.#generations.set(instanceId, generation);
    const timer = this.#timers.get(instanceId);
    if (timer) clearTimeout(timer);
    this.#timers.delete(instanceId);
    return generation;
  }

  #setTimer(instanceId: string, ms: number, fire: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(instanceId);
      fire();
    }, ms);
    timer.unref();
    this.#timers.set(instanceId, timer);
  }
}
