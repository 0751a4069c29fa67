/**
 * Where a token comes from: the spec's fixed token, its `tokenProvider`, or — when neither is
 * set — a guest login (`POST {apiUrl}/authentication`), cached per API and name for the page.
 */
import { abortable, isAbortOf, timeoutSignal } from '../core/abort.js';
import { IrError } from '../core/errors.js';
import type { InstanceSpec } from '../core/instance-spec.js';
import { AuthenticationAnswer, parseWire } from '../protocol/index.js';
import { errorOfResponse, networkError, protocolError } from './http-errors.js';

export interface TokenResult {
  token: string;
  /** True for a cached guest token: a 401 on it means the cache is stale, not that the user is refused. */
  guest: boolean;
}

export class TokenSource {
  readonly #guestTokens = new Map<string, Promise<string>>();
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: { fetch?: typeof fetch; timeoutMs?: number } = {}) {
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async tokenFor(spec: InstanceSpec, signal?: AbortSignal): Promise<TokenResult> {
    if (spec.token) return { token: spec.token, guest: false };
    if (spec.tokenProvider) {
      let token: unknown;
      try {
        token = await spec.tokenProvider();
      } catch (error) {
        throw new IrError('UNAUTHORIZED', 'the tokenProvider failed', { cause: error, retryable: false });
      }
      signal?.throwIfAborted();
      if (typeof token !== 'string' || token.length === 0) {
        throw new IrError('UNAUTHORIZED', 'the tokenProvider returned no token', { retryable: false });
      }
      return { token, guest: false };
    }
    return { token: await this.guestToken(spec, signal), guest: true };
  }

  /** Forgets a cached guest token (after the server refused it, e.g. because it restarted). */
  forgetGuest(spec: InstanceSpec): void {
    this.#guestTokens.delete(guestKey(spec));
  }

  guestToken(spec: InstanceSpec, signal?: AbortSignal): Promise<string> {
    const key = guestKey(spec);
    let pending = this.#guestTokens.get(key);
    if (!pending) {
      // Not tied to one caller's signal: other elements may share this login.
      pending = this.#login(spec);
      this.#guestTokens.set(key, pending);
      pending.catch(() => {
        if (this.#guestTokens.get(key) === pending) this.#guestTokens.delete(key);
      });
    }
    return signal ? abortable(pending, signal) : pending;
  }

  async #login(spec: InstanceSpec): Promise<string> {
    const what = 'authentication';
    const timeout = timeoutSignal(this.#timeoutMs, undefined, what);
    const body: Record<string, string> = { strategy: 'guest', name: guestName(spec) };
    if (spec.avatarUrl) body.avatarUrl = spec.avatarUrl;
    try {
      let response: Response;
      try {
        response = await this.#fetch(`${spec.apiUrl.replace(/\/+$/, '')}/authentication`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(body),
          signal: timeout.signal,
        });
      } catch (error) {
        if (isAbortOf(error, timeout.signal)) throw timeout.signal.reason;
        throw networkError(error, what);
      }
      if (!response.ok) throw await errorOfResponse(response, what);
      let json: unknown;
      try {
        json = await response.json();
      } catch {
        throw protocolError('not JSON', what);
      }
      const parsed = parseWire(AuthenticationAnswer, json);
      if (!parsed.ok) throw protocolError(parsed.message, what);
      return parsed.value.accessToken;
    } finally {
      timeout.clear();
    }
  }
}

function guestName(spec: InstanceSpec): string {
  const name = spec.displayName?.trim();
  return name ? name.slice(0, 64) : 'Guest';
}

function guestKey(spec: InstanceSpec): string {
  return JSON.stringify([spec.apiUrl, guestName(spec), spec.avatarUrl ?? null]);
}
