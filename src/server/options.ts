/** The reference server's options, their defaults, and the JSON config file (locations). */
import { readFile } from 'node:fs/promises';
import * as v from 'valibot';
import { ID_PATTERN, parseWire } from '../protocol/index.js';
import type { ServerRole } from './cluster/roles.js';
import type { CorsOrigins } from './http/cors.js';

export type { CorsOrigins } from './http/cors.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface LocationConfig {
  maxUsersPerInstance?: number;
  topology?: 'sfu' | 'p2p';
}

export interface ServerConfig {
  locations?: Record<string, LocationConfig>;
}

export interface RateLimitOptions {
  /** Requests one client address may make to the provisioning and authentication endpoints per window. */
  max: number;
  windowMs: number;
}

export interface ServerOptions {
  /** 0 → a free port; default 3030. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Unknown locations allowed (50 seats, sfu), guest auth, GET /api/instances open, generated secret. */
  dev?: boolean;
  config?: ServerConfig;
  jwtSecret?: string;
  adminToken?: string;
  /** host:port advertised in provisioning answers; default the host:port bound. */
  publicAddress?: string;
  /** An empty instance ends after this; default 30000. */
  instanceGraceMs?: number;
  /** An unused seat reservation frees itself after this; default 15000. */
  reservationTtlMs?: number;
  /** A socket silent for this long is dropped; default 10000. */
  heartbeatTimeoutMs?: number;
  /**
   * A peer whose socket drops without leaving is held this long for a resume: no PEER_LEFT, its
   * media kept (PROTOCOL.md §4). 0 turns resuming off. Default 15000.
   */
  resumeGraceMs?: number;
  /** Where /ir-rooms.js and its chunks are served from; default <package>/dist. */
  staticDir?: string;
  logLevel?: LogLevel;
  /** Most live instances this server hosts; past it provisioning answers 503. Default unlimited. */
  maxInstances?: number;
  /** Per-address request limit on provisioning and authentication (429 past it). */
  rateLimit?: RateLimitOptions;
  /** Per-user (token subject) request limit on provisioning (429 past it). */
  userRateLimit?: RateLimitOptions;
  /**
   * Per-address limit on missed guesses: provisioning with a room code no live instance holds or an
   * instance id that names none, and wrong invite codes on the socket. Past it requests carrying a
   * room code or an instance id get 429, and invite codes are not read (`fail`). Default 20 per
   * minute; 1000 in dev mode.
   */
  guessRateLimit?: RateLimitOptions;
  /**
   * Behind a reverse proxy: take the client address from `X-Forwarded-For` (its last entry) and
   * the scheme from `X-Forwarded-Proto`. Never on by default: anyone could write those headers.
   */
  trustProxy?: boolean;
  /** Live instances one user may have created (world and media); past it provisioning answers 429. */
  maxInstancesPerUser?: number;
  /** SIGTERM: how long the CLI waits for sockets to close before it exits anyway; default 10000. */
  shutdownTimeoutMs?: number;
  /** A kick without `until` refuses the peer for this long; default 300 s. */
  defaultKickSeconds?: number;
  /** coturn's static auth secret: P2P answers then carry REST credentials for `turnUrls`. */
  turnSecret?: string;
  /** Inclusive UDP port range of the SFU's transports; default any free port. */
  rtcPorts?: [number, number];
  /** IPv4 address in the SFU's ICE candidates (what browsers send media to); default the bound address. */
  announcedAddress?: string;
  /** An SFU transport whose DTLS is not up this long after creation is closed; default 30000. */
  rtcConnectTimeoutMs?: number;
  /** `turn:host:port` URLs handed to P2P clients with the credentials (needs `turnSecret`). */
  turnUrls?: string[];
  /** How long minted TURN credentials stay valid; default 86400. */
  turnTtlSeconds?: number;
  /**
   * Origins (`https://cms.example`) whose pages may read the API, the bundle and its chunks, and
   * PeerServer answers; default `'*'`, any. Others get no `Access-Control-Allow-Origin`.
   */
  corsOrigins?: CorsOrigins;
  /**
   * `redis://[user:password@]host:port[/db]` (or `rediss://`): instances, seats, room codes and
   * kicks live in this Redis, shared with every process using the same `redisPrefix`. Without it
   * they live in this process's memory. startServer() fails when Redis cannot be reached.
   */
  redis?: string;
  /** Prefix of every key in Redis; default 'ir-rooms:'. */
  redisPrefix?: string;
  /**
   * With `redis`: this server registers in Redis as an instance server and refreshes the
   * registration every third of this; one whose registration lapses is taken for dead and its
   * instances are ended. Default 6000.
   */
  serverTtlMs?: number;
  /**
   * What this process serves (cluster/roles.ts): `all` (default) everything; `api` provisioning,
   * authentication, kicks, the demo page and the bundle; `instance` instance sockets, the SFU, the
   * PeerServer of its P2P instances and the beacon leave, registered as an instance server at
   * `publicAddress`. `api` and `instance` need `redis`.
   */
  role?: ServerRole;
}

export const DEFAULTS = {
  port: 3030,
  host: '127.0.0.1',
  instanceGraceMs: 30_000,
  reservationTtlMs: 15_000,
  heartbeatTimeoutMs: 10_000,
  resumeGraceMs: 15_000,
  logLevel: 'info' as LogLevel,
  /** Seats of a location whose config names none, and of dev-mode locations the config does not name. */
  defaultCapacity: 50,
  /** Seats of a P2P instance whose location names none: a full mesh does not scale further. */
  p2pCapacity: 8,
  rateLimit: { max: 300, windowMs: 10_000 } satisfies RateLimitOptions,
  // As high as the per-address one: it stops a token shared across many addresses, not a busy page.
  userRateLimit: { max: 300, windowMs: 10_000 } satisfies RateLimitOptions,
  guessRateLimit: { max: 20, windowMs: 60_000 } satisfies RateLimitOptions,
  /** Dev servers serve test suites that re-provision by room code all the time, from one address. */
  devGuessRateLimit: { max: 1000, windowMs: 60_000 } satisfies RateLimitOptions,
  trustProxy: false,
  maxInstancesPerUser: 20,
  shutdownTimeoutMs: 10_000,
  defaultKickSeconds: 300,
  serverTtlMs: 6000,
  /** With `redis`, the instances allocation gives a server without `maxInstances`. */
  serverCapacity: 10_000,
  /** Seconds a client is told to wait when no instance can be made. */
  noCapacityRetryAfterSeconds: 5,
} as const;

const LocationConfigSchema = v.strictObject({
  maxUsersPerInstance: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10_000))),
  topology: v.optional(v.picklist(['sfu', 'p2p'])),
});

export const ServerConfigSchema = v.strictObject({
  locations: v.optional(
    v.pipe(
      v.record(v.string(), LocationConfigSchema),
      v.check(
        (locations) => Object.keys(locations).every((id) => ID_PATTERN.test(id)),
        'location ids must be 1-128 characters of A-Z a-z 0-9 . _ : -',
      ),
    ),
  ),
});

/** Validates a parsed config object; throws an Error naming the offending field. */
export function parseServerConfig(input: unknown): ServerConfig {
  const result = parseWire(ServerConfigSchema, input);
  if (!result.ok) throw new Error(`invalid server config: ${result.message}`);
  return result.value;
}

/** Reads and validates a JSON config file. */
export async function loadServerConfig(path: string): Promise<ServerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`config file ${path} is not JSON: ${(error as Error).message}`);
  }
  return parseServerConfig(json);
}

/** Parses `host:port` (IPv6 hosts in brackets); null when malformed. */
export function parseHostPort(value: string): { host: string; port: number } | null {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  if (!match) return null;
  const port = Number(match[2]);
  if (port < 1 || port > 65_535) return null;
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}
