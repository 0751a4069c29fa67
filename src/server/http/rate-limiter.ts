/** A fixed-window request counter per key (a client address, a user id), for the endpoints that create state. */
import type { RateLimitOptions } from '../options.js';
import { HttpError } from './http-error.js';

export class RateLimiter {
  readonly #options: RateLimitOptions;
  readonly #what: string;
  readonly #windows = new Map<string, { start: number; count: number }>();

  /** `what` names the limit in the 429's message ('requests from this address'). */
  constructor(options: RateLimitOptions, what = 'requests') {
    this.#options = options;
    this.#what = what;
  }

  /** Counts a request; throws a 429 HttpError past the limit. */
  check(key: string, now = Date.now()): void {
    this.record(key, now);
    this.assertUnder(key, now);
  }

  /** Counts without throwing (a failure seen after the fact, such as a missed room code). */
  record(key: string, now = Date.now()): void {
    this.#window(key, now).count++;
  }

  /**
   * Throws a 429 HttpError when `key` is past the limit, or would be after `coming` more events
   * (1: refuse the attempt that would be one failure too many); counts nothing.
   */
  assertUnder(key: string, now = Date.now(), coming = 0): void {
    const { max, windowMs } = this.#options;
    const window = this.#window(key, now);
    if (window.count + coming > max) {
      const retryAfter = Math.max(1, Math.ceil((window.start + windowMs - now) / 1000));
      throw new HttpError('RATE_LIMITED', `too many ${this.#what}`, { retryAfter });
    }
  }

  #window(key: string, now: number): { start: number; count: number } {
    let window = this.#windows.get(key);
    if (!window || now - window.start >= this.#options.windowMs) {
      if (this.#windows.size > 10_000) this.#sweep(now);
      window = { start: now, count: 0 };
      this.#windows.set(key, window);
    }
    return window;
  }

  #sweep(now: number): void {
    for (const [key, window] of this.#windows) {
      if (now - window.start >= this.#options.windowMs) this.#windows.delete(key);
    }
  }
}
