/** A fixed-window request counter per client address, for the endpoints that create state. */
import type { RateLimitOptions } from '../options.js';
import { HttpError } from './http-error.js';

export class RateLimiter {
  readonly #options: RateLimitOptions;
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(options: RateLimitOptions) {
    this.#options = options;
  }

  /** Counts a request; throws a 429 HttpError past the limit. */
  check(address: string, now = Date.now()): void {
    const { max, windowMs } = this.#options;
    let window = this.#windows.get(address);
    if (!window || now - window.start >= windowMs) {
      if (this.#windows.size > 10_000) this.#sweep(now);
      window = { start: now, count: 0 };
      this.#windows.set(address, window);
    }
    window.count++;
    if (window.count > max) {
      const retryAfter = Math.max(1, Math.ceil((window.start + windowMs - now) / 1000));
      throw new HttpError('RATE_LIMITED', 'too many requests', { retryAfter });
    }
  }

  #sweep(now: number): void {
    for (const [address, window] of this.#windows) {
      if (now - window.start >= this.#options.windowMs) this.#windows.delete(address);
    }
  }
}
