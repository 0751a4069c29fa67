/**
 * A small router on node:http: exact and prefix routes, 405 with Allow, CORS (a `CorsPolicy`), JSON error bodies,
 * and size limits on query strings and bodies. A handler's bug becomes a logged 500, never a crash; an
 * unreachable store becomes 503 `STORE_UNAVAILABLE`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Limits } from '../../protocol/index.js';
import type { Logger } from '../logger.js';
import { StoreUnavailableError } from '../store/store.js';
import { CorsPolicy, PREFLIGHT_HEADERS } from './cors.js';
import { HttpError } from './http-error.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The request's path, normalised as WHATWG URL parsing does (no query). */
  path: string;
  /** The path below a prefix route ('' for exact routes). */
  rest: string;
  log: Logger;
  /** The query as a plain object; 400 on oversized queries and repeated parameters. */
  query(): Record<string, string>;
  /** The JSON body; 413 past Limits.maxBodyBytes, 400 when it is not JSON. */
  readJson(): Promise<unknown>;
}

export type Handler = (ctx: RequestContext) => void | Promise<void>;

type Methods = Map<string, Handler>;

/** Seconds a client waits before it retries while the store is unreachable (Redis reconnects within about one). */
const STORE_UNAVAILABLE_RETRY_AFTER_S = 1;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: HttpError): void {
  const headers = { ...error.headers };
  if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter);
  sendJson(res, error.status, error.body(), headers);
}

export function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

export class Router {
  readonly #exact = new Map<string, Methods>();
  readonly #prefixes: { prefix: string; methods: Methods }[] = [];
  readonly #log: Logger;
  readonly #cors: CorsPolicy;
  #fallback: Handler | null = null;

  /** `cors` decides which origins may read the answers; any origin by default. */
  constructor(log: Logger, cors: CorsPolicy = new CorsPolicy()) {
    this.#log = log;
    this.#cors = cors;
  }

  route(method: string, path: string, handler: Handler): this {
    const methods = this.#exact.get(path) ?? new Map<string, Handler>();
    this.#exact.set(path, methods);
    methods.set(method, handler);
    return this;
  }

  /** Routes every path that starts with `prefix`; the handler sees the remainder as `rest`. */
  prefix(method: string, prefix: string, handler: Handler): this {
    let entry = this.#prefixes.find((p) => p.prefix === prefix);
    if (!entry) {
      entry = { prefix, methods: new Map() };
      this.#prefixes.push(entry);
    }
    entry.methods.set(method, handler);
    return this;
  }

  /** Handles paths no route matches, any method; `rest` is the whole path. Without it they get 404. */
  fallback(handler: Handler): this {
    this.#fallback = handler;
    return this;
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.#dispatch(req, res).catch((error: unknown) => this.#fail(res, error));
  };

  async #dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Set before any handler runs, so every answer carries them, errors included (writeHead merges).
    const cors = this.#cors.decide(req);
    for (const name in cors.headers) res.setHeader(name, cors.headers[name]!);
    const target = splitTarget(req.url ?? '/');
    const path = target.path;
    let methods = this.#exact.get(path);
    let rest = '';
    if (!methods) {
      const match = this.#prefixes.find((p) => path.startsWith(p.prefix));
      if (match) {
        methods = match.methods;
        rest = path.slice(match.prefix.length);
      }
    }
    const method = req.method ?? 'GET';
    if (!methods) {
      if (!this.#fallback) throw HttpError.notFound(`no such path ${path.slice(0, 200)}`);
      await this.#fallback(this.#context(req, res, target, path));
      return;
    }
    const allowed = methods;
    const allow = () => [...allowed.keys(), ...(allowed.has('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');
    if (method === 'OPTIONS') {
      // A preflight from an origin that is not listed fails here, with a reason a person can read.
      if (!cors.allowed && req.headers.origin !== undefined) {
        throw HttpError.forbidden(`origin ${req.headers.origin.slice(0, 200)} is not allowed (see --cors-origin)`);
      }
      const preflight = cors.allowed ? PREFLIGHT_HEADERS : {};
      const methodList = allow();
      res.writeHead(204, { ...preflight, 'access-control-allow-methods': methodList, allow: methodList });
      res.end();
      return;
    }
    const handler = methods.get(method === 'HEAD' ? 'GET' : method);
    if (!handler) {
      throw new HttpError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`, { headers: { allow: allow() } });
    }
    await handler(this.#context(req, res, target, rest));
  }

  #context(req: IncomingMessage, res: ServerResponse, target: RequestTarget, rest: string): RequestContext {
    return {
      req,
      res,
      path: target.path,
      rest,
      log: this.#log,
      query: () => parseQuery(target.search),
      readJson: () => readJson(req),
    };
  }

  #fail(res: ServerResponse, error: unknown): void {
    if (error instanceof StoreUnavailableError) {
      // The store logs the outage once; each refused request is only a detail of it.
      this.#log.debug({ err: error }, 'request failed: the store is unavailable');
      error = new HttpError('STORE_UNAVAILABLE', 'the server cannot reach its shared state; try again shortly', {
        retryAfter: STORE_UNAVAILABLE_RETRY_AFTER_S,
      });
    } else if (!(error instanceof HttpError)) {
      this.#log.error({ err: error }, 'request handler failed');
      error = new HttpError('INTERNAL_ERROR', 'internal error');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendError(res, error as HttpError);
  }
}

interface RequestTarget {
  /** The path as WHATWG URL parsing gives it: dot segments resolved, odd characters escaped. */
  path: string;
  /** What follows `?`, without it. */
  search: string;
}

/** Paths that WHATWG URL parsing would give back unchanged, so the common request skips it. */
const PLAIN_PATH = /^\/[\w\-/]*$/;

function splitTarget(rawUrl: string): RequestTarget {
  const end = rawUrl.indexOf('#');
  const target = end < 0 ? rawUrl : rawUrl.slice(0, end);
  const queryStart = target.indexOf('?');
  const rawPath = queryStart < 0 ? target : target.slice(0, queryStart);
  const search = queryStart < 0 ? '' : target.slice(queryStart + 1);
  if (PLAIN_PATH.test(rawPath)) return { path: rawPath, search };
  try {
    return { path: new URL(rawPath, 'http://localhost').pathname, search };
  } catch {
    throw HttpError.badRequest('malformed request URL');
  }
}

function parseQuery(search: string): Record<string, string> {
  if (search.length > Limits.maxQueryLength) {
    throw HttpError.badRequest(`query string is longer than ${Limits.maxQueryLength} characters`);
  }
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(search)) {
    if (Object.hasOwn(query, key)) throw HttpError.badRequest(`parameter ${key.slice(0, 64)} is repeated`);
    query[key] = value;
  }
  return query;
}

function tooLarge(): HttpError {
  return new HttpError('PAYLOAD_TOO_LARGE', `body is larger than ${Limits.maxBodyBytes} bytes`, {
    headers: { connection: 'close' },
  });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > Limits.maxBodyBytes) {
    req.resume();
    throw tooLarge();
  }
  // Events rather than `for await`: leaving an async iterator early destroys the socket, and the
  // client would never see its 413.
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > Limits.maxBodyBytes) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', () => reject(HttpError.badRequest('request body was cut off')));
  });
  if (text.trim() === '') throw HttpError.badRequest('body is empty; a JSON object is expected');
  try {
    return JSON.parse(text);
  } catch {
    throw HttpError.badRequest('body is not JSON');
  }
}
