/** Helpers for AbortSignal-driven async work. Aborts pass through as `signal.reason`, unwrapped. */
import { IrError } from './errors.js';

/** Resolves after `ms`, or rejects with `signal.reason` as soon as the signal aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A signal that aborts when any of `signals` does, with that signal's reason. */
export function anySignal(signals: Iterable<AbortSignal | undefined>): AbortSignal {
  const controller = new AbortController();
  for (const signal of signals) {
    if (!signal) continue;
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    signal.addEventListener('abort', () => controller.abort(signal.reason), {
      once: true,
      signal: controller.signal,
    });
  }
  return controller.signal;
}

/**
 * A signal that aborts after `ms` with an `IrError` TIMEOUT, or earlier with `parent`'s reason.
 * `clear()` stops the timer once the guarded work is done.
 */
export function timeoutSignal(
  ms: number,
  parent: AbortSignal | undefined,
  what: string,
): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new IrError('TIMEOUT', `${what} timed out after ${ms} ms`)), ms);
  const signal = anySignal([parent, controller.signal]);
  return { signal, clear: () => clearTimeout(timer) };
}

/** True when `error` is the reason `signal` aborted with (so callers rethrow it untouched). */
export function isAbortOf(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && error === signal.reason;
}

/** Rejects with `signal.reason` when it aborts, otherwise settles like `promise`. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

const PAGE_HIDDEN = 'the page was hidden';

/**
 * The reason a connection aborts its join with when the page goes away (`pagehide`): a link that
 * sees it still leaves, by beacon, since its socket's last frame may not get out.
 */
export function pageHidden(): DOMException {
  return new DOMException(PAGE_HIDDEN, 'AbortError');
}

export function isPageHidden(reason: unknown): boolean {
  return reason instanceof DOMException && reason.name === 'AbortError' && reason.message === PAGE_HIDDEN;
}
