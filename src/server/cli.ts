/** `ir-rooms serve`: the reference server from the command line. */
import { realpathSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MAX_KICK_SECONDS } from '../protocol/index.js';
import { checkRole } from './cluster/roles.js';
import { parseCorsOrigins } from './http/cors.js';
import { type RunningServer, StoreUnavailableError, startServer } from './index.js';
import {
  DEFAULTS,
  LOG_LEVELS,
  type LogLevel,
  loadServerConfig,
  parseHostPort,
  type RateLimitOptions,
  type ServerOptions,
} from './options.js';

const USAGE = `Usage: ir-rooms serve [options]

Runs the ir-rooms reference server: provisioning API, instance server (Primus at /primus),
demo page and browser bundle, all on one port (or, with --role, the API or an instance server).

Options:
  --port N                  port to listen on (default 3030; 0 picks a free one)
  --host H                  address to bind (default 127.0.0.1)
  --dev                     dev mode: any location id, guest logins, generated secret,
                            GET /api/instances open
  --config FILE             JSON config: {"locations": {"<id>": {"maxUsersPerInstance": 5,
                            "topology": "sfu" | "p2p"}}}
  --jwt-secret S            HS256 secret for user tokens (or IR_ROOMS_JWT_SECRET);
                            required outside dev mode
  --admin-token T           bearer token for GET /api/instances and POST /api/instances/:id/kick
                            (or IR_ROOMS_ADMIN_TOKEN)
  --public-address H:P      host:port advertised in provisioning answers
  --rtc-ports A-B           UDP ports of the SFU's media transports (default any free port)
  --announced-address IP    IPv4 address in the SFU's ICE candidates, the one browsers send
                            media to (default the --host address; set it behind NAT)
  --instance-grace-ms N     an empty instance ends after N ms (default 30000)
  --reservation-ttl-ms N    an unused seat reservation frees itself after N ms (default 15000)
  --heartbeat-timeout-ms N  a silent socket is dropped after N ms (default 10000)
  --resume-grace-ms N       a peer whose socket dropped is held N ms for a resume (default 15000, 0 off)
  --max-instances N         most live instances; past it provisioning answers 503
  --max-instances-per-user N  live instances one user's requests may make (default 20; 429 past it)
  --rate-limit N/S          provisioning + authentication requests per address per S seconds
                            (default 300/10; 429 with Retry-After past it)
  --user-rate-limit N/S     provisioning requests per user (token subject) per S seconds (default 300/10)
  --guess-rate-limit N/S    missed room codes, unknown instance ids and wrong invite codes per
                            address per S seconds (default 20/60, 1000/60 in dev mode); past it
                            requests with a room code or an instance id get 429
  --trust-proxy             behind a reverse proxy: client addresses from X-Forwarded-For (its last
                            entry) and the scheme from X-Forwarded-Proto; off by default
  --kick-ttl-s N            how long a kick without "until" refuses the peer (default 300)
  --shutdown-timeout-ms N   on SIGTERM, exit after N ms even if sockets have not closed (default 10000)
  --static-dir DIR          where /ir-rooms.js and /chunks/* are served from (default dist)
  --cors-origin O[,O]       origins whose pages may use the API, /ir-rooms.js, /chunks and
                            /peerjs, like https://cms.example,http://localhost:8080
                            (default *, any origin)
  --log-level L             ${LOG_LEVELS.join(' | ')} (default info)
  --turn-secret S           coturn's static auth secret (or IR_ROOMS_TURN_SECRET): P2P answers
                            carry time-limited TURN credentials for the --turn-url servers
  --turn-url URL            turn:host:port handed to P2P clients; repeat for several
  --turn-ttl-s N            how long minted TURN credentials stay valid (default 86400)
  --redis URL               keep instances, seats, room codes and kicks in Redis
                            (redis://[user:password@]host:port[/db] or rediss://; or IR_ROOMS_REDIS_URL),
                            shared by every process with the same --redis-prefix; exits 2
                            when Redis cannot be reached at start
  --redis-prefix P          prefix of every Redis key (default ir-rooms:)
  --server-ttl-ms N         with --redis: this server's registration as an instance server lapses
                            N ms after its last heartbeat (sent every N/3 ms), and then its
                            instances are ended by the others (default 6000)
  --role R                  what this process serves (default all, everything on one port):
                            api: provisioning, authentication, kicks, demo page and bundle;
                            instance: instance sockets (/primus), SFU, PeerServer, health and
                            the beacon leave, registered in Redis at --public-address.
                            api and instance need --redis (exit 2 without it)
  -h, --help                show this help
`;

/** Exit codes: 0 done, 1 failed at run time, 2 bad command line or configuration. */
export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    console.error(`ir-rooms: ${(error as Error).message}\nRun ir-rooms --help for the options.`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const command = positionals[0];
  if (command !== 'serve' || positionals.length > 1) {
    console.error(
      command === undefined
        ? `ir-rooms: a command is required\n\n${USAGE}`
        : `ir-rooms: unknown command ${positionals.join(' ')}; the command is serve\nRun ir-rooms --help for the options.`,
    );
    return 2;
  }
  let options: ServerOptions;
  try {
    options = await toOptions(values);
  } catch (error) {
    console.error(`ir-rooms: ${(error as Error).message}`);
    return 2;
  }
  let server: RunningServer;
  try {
    server = await startServer(options);
  } catch (error) {
    console.error(`ir-rooms: cannot start the server: ${(error as Error).message}`);
    // An unreachable Redis is a matter of configuration (the URL, the network), like a bad flag.
    return error instanceof StoreUnavailableError ? 2 : 1;
  }
  const role = options.role && options.role !== 'all' ? ` (role ${options.role})` : '';
  console.log(`ir-rooms ${options.dev ? 'dev server' : 'server'}: ${server.url}/${role}`);
  return waitForSignal(server, options.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs);
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      dev: { type: 'boolean' },
      config: { type: 'string' },
      'jwt-secret': { type: 'string' },
      'admin-token': { type: 'string' },
      'public-address': { type: 'string' },
      'instance-grace-ms': { type: 'string' },
      'rtc-ports': { type: 'string' },
      'announced-address': { type: 'string' },
      'reservation-ttl-ms': { type: 'string' },
      'heartbeat-timeout-ms': { type: 'string' },
      'resume-grace-ms': { type: 'string' },
      'max-instances': { type: 'string' },
      'max-instances-per-user': { type: 'string' },
      'rate-limit': { type: 'string' },
      'user-rate-limit': { type: 'string' },
      'guess-rate-limit': { type: 'string' },
      'trust-proxy': { type: 'boolean' },
      'kick-ttl-s': { type: 'string' },
      'shutdown-timeout-ms': { type: 'string' },
      'static-dir': { type: 'string' },
      'cors-origin': { type: 'string' },
      'log-level': { type: 'string' },
      'turn-secret': { type: 'string' },
      'turn-url': { type: 'string', multiple: true },
      'turn-ttl-s': { type: 'string' },
      redis: { type: 'string' },
      'redis-prefix': { type: 'string' },
      'server-ttl-ms': { type: 'string' },
      role: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

type Values = ReturnType<typeof parse>['values'];

async function toOptions(values: Values): Promise<ServerOptions> {
  const dev = values.dev ?? false;
  const jwtSecret = values['jwt-secret'] ?? process.env.IR_ROOMS_JWT_SECRET;
  if (!dev && !jwtSecret) {
    throw new Error('a JWT secret is required outside dev mode: pass --jwt-secret or set IR_ROOMS_JWT_SECRET');
  }
  if (jwtSecret !== undefined && jwtSecret.length < 16)
    throw new Error('the JWT secret must be at least 16 characters');
  const options: ServerOptions = { dev };
  if (jwtSecret) options.jwtSecret = jwtSecret;
  const adminToken = values['admin-token'] ?? process.env.IR_ROOMS_ADMIN_TOKEN;
  if (adminToken) options.adminToken = adminToken;
  if (values.port !== undefined) options.port = integer('--port', values.port, 0, 65_535);
  if (values.host !== undefined) options.host = values.host;
  if (values.config !== undefined) options.config = await loadServerConfig(values.config);
  const publicAddress = values['public-address'];
  if (publicAddress !== undefined) {
    if (!parseHostPort(publicAddress)) throw new Error(`--public-address must be host:port, not ${publicAddress}`);
    options.publicAddress = publicAddress;
  }
  const rtcPorts = values['rtc-ports'];
  if (rtcPorts !== undefined) {
    const match = /^(\d{1,5})-(\d{1,5})$/.exec(rtcPorts);
    const range = match ? ([Number(match[1]), Number(match[2])] as [number, number]) : null;
    if (!range || range[0] < 1 || range[1] > 65_535 || range[0] > range[1]) {
      throw new Error(`--rtc-ports must be a range like 40000-49999, not ${rtcPorts}`);
    }
    options.rtcPorts = range;
  }
  const announced = values['announced-address'];
  if (announced !== undefined) {
    if (!isIPv4(announced)) throw new Error(`--announced-address must be an IPv4 address, not ${announced}`);
    options.announcedAddress = announced;
  }
  const ms = (flag: string, value: string | undefined) =>
    value === undefined ? undefined : integer(flag, value, 0, 24 * 3600 * 1000);
  options.instanceGraceMs = ms('--instance-grace-ms', values['instance-grace-ms']);
  options.reservationTtlMs = ms('--reservation-ttl-ms', values['reservation-ttl-ms']);
  options.heartbeatTimeoutMs = ms('--heartbeat-timeout-ms', values['heartbeat-timeout-ms']);
  options.resumeGraceMs = ms('--resume-grace-ms', values['resume-grace-ms']);
  if (values['max-instances'] !== undefined) {
    options.maxInstances = integer('--max-instances', values['max-instances'], 1, 1_000_000);
  }
  if (values['max-instances-per-user'] !== undefined) {
    options.maxInstancesPerUser = integer('--max-instances-per-user', values['max-instances-per-user'], 1, 1_000_000);
  }
  options.rateLimit = rate('--rate-limit', values['rate-limit']);
  options.userRateLimit = rate('--user-rate-limit', values['user-rate-limit']);
  options.guessRateLimit = rate('--guess-rate-limit', values['guess-rate-limit']);
  if (values['trust-proxy']) options.trustProxy = true;
  if (values['kick-ttl-s'] !== undefined) {
    options.defaultKickSeconds = integer('--kick-ttl-s', values['kick-ttl-s'], 1, MAX_KICK_SECONDS);
  }
  options.shutdownTimeoutMs = ms('--shutdown-timeout-ms', values['shutdown-timeout-ms']);
  if (values['static-dir'] !== undefined) options.staticDir = values['static-dir'];
  const corsOrigin = values['cors-origin'];
  if (corsOrigin !== undefined) {
    try {
      options.corsOrigins = parseCorsOrigins(corsOrigin);
    } catch (error) {
      throw new Error(`--cors-origin must be * or origins separated by commas: ${(error as Error).message}`);
    }
  }
  const level = values['log-level'];
  if (level !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(level)) {
      throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
    }
    options.logLevel = level as LogLevel;
  }
  const turnSecret = values['turn-secret'] ?? process.env.IR_ROOMS_TURN_SECRET;
  const turnUrls = values['turn-url'] ?? [];
  if (turnUrls.length > 0 && !turnSecret) throw new Error('--turn-url needs --turn-secret (or IR_ROOMS_TURN_SECRET)');
  for (const url of turnUrls) {
    if (!/^(turns?|stun):[^\s]+$/.test(url)) throw new Error(`--turn-url must be turn:host:port, not ${url}`);
  }
  if (turnSecret) {
    options.turnSecret = turnSecret;
    options.turnUrls = turnUrls;
  }
  if (values['turn-ttl-s'] !== undefined) {
    options.turnTtlSeconds = integer('--turn-ttl-s', values['turn-ttl-s'], 60, 30 * 24 * 3600);
  }
  const redis = values.redis ?? process.env.IR_ROOMS_REDIS_URL;
  if (redis !== undefined) {
    if (!/^rediss?:\/\/[^\s]+$/.test(redis)) {
      throw new Error('--redis must be a redis:// or rediss:// URL, like redis://127.0.0.1:6379');
    }
    options.redis = redis;
  }
  const prefix = values['redis-prefix'];
  if (prefix !== undefined) {
    if (redis === undefined) throw new Error('--redis-prefix needs --redis');
    if (!/^[\x21-\x7e]{1,64}$/.test(prefix)) {
      throw new Error('--redis-prefix must be 1-64 printable characters without spaces');
    }
    options.redisPrefix = prefix;
  }
  const serverTtl = values['server-ttl-ms'];
  if (serverTtl !== undefined) {
    if (redis === undefined) throw new Error('--server-ttl-ms needs --redis');
    options.serverTtlMs = integer('--server-ttl-ms', serverTtl, 300, 3_600_000);
  }
  const role = values.role;
  if (role !== undefined) {
    try {
      checkRole(role, redis);
    } catch (error) {
      throw new Error(`--${(error as Error).message}`);
    }
    options.role = role;
  }
  for (const key of Object.keys(options) as (keyof ServerOptions)[]) {
    if (options[key] === undefined) delete options[key];
  }
  return options;
}

/** `N/S`: N requests per S seconds. */
function rate(flag: string, value: string | undefined): RateLimitOptions | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{1,7})\/(\d{1,5})s?$/.exec(value);
  const max = Number(match?.[1]);
  const seconds = Number(match?.[2]);
  if (!match || max < 1 || seconds < 1 || seconds > 86_400) {
    throw new Error(`${flag} must be N/S, N requests per S seconds (1 to 86400), like 300/10, not ${value}`);
  }
  return { max, windowMs: seconds * 1000 };
}

function integer(flag: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new Error(`${flag} must be a whole number from ${min} to ${max}, not ${value}`);
  }
  return Number(value);
}

/** `shutdownTimeoutMs`: how long a signal gives the server to close its sockets before the process exits anyway. */
function waitForSignal(server: RunningServer, shutdownTimeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        resolve(1);
        return;
      }
      stopping = true;
      console.log(`ir-rooms: ${signal}, closing sockets`);
      const bound = setTimeout(() => {
        console.error('ir-rooms: sockets did not close in time; exiting');
        resolve(1);
      }, shutdownTimeoutMs);
      bound.unref();
      server.close().then(
        () => {
          clearTimeout(bound);
          resolve(0);
        },
        (error: unknown) => {
          console.error(`ir-rooms: closing failed: ${(error as Error).message}`);
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  }).then((code) => {
    // Exit for sure: a stray handle must not keep a stopped server's process alive.
    setImmediate(() => process.exit(code as number));
    return code as number;
  });
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
})();
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
