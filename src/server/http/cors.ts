/**
 * Which web origins may read the reference server's answers (`--cors-origin`): any (`*`, the
 * default, so a page anywhere can load the drop-in bundle and call the API) or a listed few.
 */
import type { IncomingMessage } from 'node:http';

/** `'*'` for any origin, else the exact origins (`https://cms.example`) that may read answers. */
export type CorsOrigins = '*' | readonly string[];

/** What a response must carry for the request's `Origin`, and whether that origin is allowed. */
export interface CorsDecision {
  allowed: boolean;
  headers: Record<string, string>;
}

const SHARED_HEADERS = {
  // Cross-origin clients need Retry-After to honour 429 and 503.
  'access-control-expose-headers': 'retry-after',
};

const ANY_ORIGIN: CorsDecision = Object.freeze({
  allowed: true,
  headers: Object.freeze({ 'access-control-allow-origin': '*', ...SHARED_HEADERS }),
});

/** What only a preflight (OPTIONS) answer needs; every other answer goes without. */
export const PREFLIGHT_HEADERS = {
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-max-age': '600',
};

/**
 * `value` as a browser sends it in `Origin` (`scheme://host[:port]`, lower case, no default port),
 * or an Error saying why it is not an http(s) origin. A trailing slash is forgiven.
 */
export function normalizeOrigin(value: string): string {
  const bare = value.endsWith('/') ? value.slice(0, -1) : value;
  let url: URL | null = null;
  try {
    url = new URL(bare);
  } catch {
    // Reported below with the rule.
  }
  if (url === null || !/^https?:\/\/[^/?#@\s]+$/i.test(bare)) {
    throw new Error(`${JSON.stringify(value)} is not an origin like https://example.com (scheme, host, optional port)`);
  }
  return url.origin;
}

/**
 * Parses `--cors-origin`: `*`, or origins separated by commas. Throws an Error naming the bad
 * part, so the CLI can exit 2 with it.
 */
export function parseCorsOrigins(text: string): CorsOrigins {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length === 1 && parts[0] === '*') return '*';
  if (parts.some((part) => part === '')) throw new Error('an origin is empty');
  if (parts.includes('*')) throw new Error('* cannot be combined with listed origins');
  return normalizeCorsOrigins(parts);
}

/** Validates and normalises origins given as options (`startServer({corsOrigins})`). */
export function normalizeCorsOrigins(origins: CorsOrigins): CorsOrigins {
  if (origins === '*') return '*';
  if (origins.length === 0) throw new Error('no origin is listed (use * to allow any)');
  return [...new Set(origins.map(normalizeOrigin))];
}

export class CorsPolicy {
  readonly #any: boolean;
  readonly #allowed: ReadonlySet<string>;

  constructor(origins: CorsOrigins = '*') {
    const normalized = normalizeCorsOrigins(origins);
    this.#any = normalized === '*';
    this.#allowed = new Set(normalized === '*' ? [] : normalized);
  }

  /** The CORS headers for a request from `req`'s `Origin` (none: not a cross-origin request). */
  decide(req: IncomingMessage): CorsDecision {
    if (this.#any) return ANY_ORIGIN;
    // The answer depends on Origin, so caches must keep one copy per origin.
    const origin = req.headers.origin;
    if (origin === undefined || !this.#allowed.has(origin)) return { allowed: false, headers: { vary: 'Origin' } };
    return { allowed: true, headers: { 'access-control-allow-origin': origin, vary: 'Origin', ...SHARED_HEADERS } };
  }

  /**
   * Whether a WebSocket upgrade may proceed: browsers always send `Origin`, so one that is not
   * allowed is refused; clients outside a browser send none and are let through (tokens guard them).
   */
  allowsSocket(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    return this.#any || origin === undefined || this.#allowed.has(origin);
  }

  /** For libraries that take the `cors` package's options (PeerServer's). */
  get corsPackageOrigin(): boolean | string[] {
    return this.#any ? true : [...this.#allowed];
  }
}
