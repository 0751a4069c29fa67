/** When to try again: LiveKit's one-method shape, plus a default jittered exponential backoff. */

export interface RetryContext {
  /** 0 for the first retry. */
  attempt: number;
  /** Time since the first try, in ms. */
  elapsedMs: number;
  error: unknown;
}

export interface RetryPolicy {
  /** The delay before the next try, or `null` to give up. */
  nextRetryDelayMs(context: RetryContext): number | null;
}

export interface BackoffOptions {
  /** Delay before the first retry. */
  initialDelayMs: number;
  /** Upper bound of one delay. */
  maxDelayMs: number;
  /** Retries after the first try; `Infinity` never gives up on its own. */
  maxAttempts: number;
  /** Give up once this much time has passed since the first try. */
  maxElapsedMs: number;
  /** Growth per retry. */
  factor: number;
  /** 0..1: the share of each delay that is random. */
  jitter: number;
  /** Random source in [0, 1), for tests. */
  random: () => number;
}

export const defaultBackoffOptions: BackoffOptions = {
  initialDelayMs: 300,
  maxDelayMs: 10_000,
  maxAttempts: 8,
  maxElapsedMs: 60_000,
  factor: 2,
  jitter: 0.5,
  random: Math.random,
};

export class ExponentialBackoffPolicy implements RetryPolicy {
  readonly options: BackoffOptions;

  constructor(options: Partial<BackoffOptions> = {}) {
    this.options = { ...defaultBackoffOptions, ...options };
  }

  nextRetryDelayMs({ attempt, elapsedMs, error }: RetryContext): number | null {
    const o = this.options;
    if (attempt >= o.maxAttempts || elapsedMs >= o.maxElapsedMs) return null;
    const base = Math.min(o.maxDelayMs, o.initialDelayMs * o.factor ** attempt);
    const jittered = base * (1 - o.jitter) + base * o.jitter * o.random();
    const retryAfterMs = retryAfterOf(error);
    return Math.round(Math.max(jittered, Math.min(retryAfterMs, o.maxDelayMs)));
  }
}

function retryAfterOf(error: unknown): number {
  if (typeof error === 'object' && error !== null && 'retryAfter' in error) {
    const seconds = (error as { retryAfter?: unknown }).retryAfter;
    if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0) return seconds * 1000;
  }
  return 0;
}
