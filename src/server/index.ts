/**
 * The reference server's programmatic API (`ir-rooms/server`): `startServer` runs the provisioning
 * API, the instance server (Primus at /primus), the demo page and the browser bundle on one port,
 * or one of its roles (cluster/roles.ts): the API alone or an instance server alone, over Redis.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { PRIMUS_PATH } from '../protocol/index.js';
import { TokenService } from './auth/token-service.js';
import { type KickChannel, LocalKickChannel, RedisKickChannel } from './cluster/kick-channel.js';
import { checkRole, roleParts } from './cluster/roles.js';
import { ServerHeartbeat } from './cluster/server-heartbeat.js';
import { createApiRouter } from './http/api.js';
import { CorsPolicy } from './http/cors.js';
import { RateLimiter } from './http/rate-limiter.js';
import {
  MALFORMED_REQUEST_ANSWER,
  ORIGIN_REFUSED_UPGRADE_ANSWER,
  SHUTTING_DOWN_UPGRADE_ANSWER,
} from './http/raw-answers.js';
import { send } from './http/router.js';
import { InstanceHost } from './instance/instance-host.js';
import { createLogger, type Logger } from './logger.js';
import { DEFAULTS, parseHostPort, parseServerConfig, type ServerOptions } from './options.js';
import { P2pSignaling, PEER_SERVER_KEY, PEER_SERVER_PATH } from './p2p/peer-server.js';
import { iceServersFor, type TurnOptions } from './p2p/turn-credentials.js';
import { PACKAGE_ROOT } from './package-root.js';
import { Locations } from './provisioning/locations.js';
import { Provisioner } from './provisioning/provisioner.js';
import { sfuFromOptions } from './sfu/sfu-options.js';
import { MemoryStore } from './store/memory-store.js';
import { DEFAULT_REDIS_PREFIX, RedisStore } from './store/redis-store.js';
import type { Store } from './store/store.js';

export { TokenService } from './auth/token-service.js';
export { SERVER_ROLES, type ServerRole } from './cluster/roles.js';
export {
  type CorsOrigins,
  DEFAULTS,
  LOG_LEVELS,
  type LocationConfig,
  type LogLevel,
  loadServerConfig,
  parseServerConfig,
  type RateLimitOptions,
  type ServerConfig,
  type ServerOptions,
} from './options.js';
export { MemoryStore } from './store/memory-store.js';
export { DEFAULT_REDIS_PREFIX, RedisStore, type RedisStoreOptions } from './store/redis-store.js';
export type {
  ClaimResult,
  CreateResult,
  InstanceRecord,
  Kick,
  LiveServer,
  SeatCounts,
  ServerRegistration,
  Store,
} from './store/store.js';
export { StoreUnavailableError } from './store/store.js';

/** How long close() lets sockets finish their close handshake before cutting them. */
const CLOSE_GRACE_MS = 1000;

export interface RunningServer {
  /** 'http://127.0.0.1:PORT' */
  url: string;
  /** url + '/api' */
  apiUrl: string;
  port: number;
  /** Closes sockets with reason SERVER_SHUTDOWN; resolves when the port is free. Safe to call twice. */
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const dev = options.dev ?? false;
  const role = options.role ?? 'all';
  checkRole(role, options.redis);
  const parts = roleParts(role);
  const log = createLogger(options.logLevel ?? DEFAULTS.logLevel);
  const config = parseServerConfig(options.config ?? {});
  const jwtSecret = options.jwtSecret ?? (dev ? TokenService.generateSecret() : undefined);
  if (!jwtSecret) throw new Error('a JWT secret is required outside dev mode (jwtSecret / IR_ROOMS_JWT_SECRET)');
  const publicAddress = options.publicAddress === undefined ? null : parseHostPort(options.publicAddress);
  if (options.publicAddress !== undefined && !publicAddress) {
    throw new Error(`publicAddress must be host:port, not ${options.publicAddress}`);
  }
  if (options.serverTtlMs !== undefined && !(options.serverTtlMs >= 30)) {
    throw new Error(`serverTtlMs must be at least 30, not ${options.serverTtlMs}`);
  }
  const bindHost = options.host ?? DEFAULTS.host;
  if ((options.turnUrls?.length ?? 0) > 0 && !options.turnSecret) throw new Error('turnUrls need a turnSecret');
  const turn: TurnOptions | undefined = options.turnSecret
    ? { secret: options.turnSecret, urls: options.turnUrls ?? [], ttlSeconds: options.turnTtlSeconds }
    : undefined;
  let cors: CorsPolicy;
  try {
    cors = new CorsPolicy(options.corsOrigins);
  } catch (error) {
    throw new Error(`corsOrigins: ${(error as Error).message}`);
  }
  const startedAt = Date.now();
  let closing = false;

  const tokens = new TokenService(jwtSecret);
  // The API never carries media.
  const sfu = parts.instance ? sfuFromOptions(options, bindHost, log) : null;
  // After the last check that can throw: from here a failed start closes the store (see listen()).
  const store: Store = options.redis
    ? await RedisStore.connect(options.redis, { prefix: options.redisPrefix, log })
    : new MemoryStore();
  const kicks: KickChannel = options.redis
    ? new RedisKickChannel(options.redis, options.redisPrefix ?? DEFAULT_REDIS_PREFIX, log)
    : new LocalKickChannel();
  const trustProxy = options.trustProxy ?? DEFAULTS.trustProxy;
  const guessLimiter = new RateLimiter(
    options.guessRateLimit ?? (dev ? DEFAULTS.devGuessRateLimit : DEFAULTS.guessRateLimit),
    'missed room codes and instance ids from this address',
  );
  const host = parts.instance
    ? new InstanceHost({
        ...(sfu ? { sfu } : {}),
        guesses: guessLimiter,
        trustProxy,
        allowUpgrade: (req) => cors.allowsSocket(req),
        store,
        tokens,
        log,
        heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? DEFAULTS.heartbeatTimeoutMs,
        instanceGraceMs: options.instanceGraceMs ?? DEFAULTS.instanceGraceMs,
        resumeGraceMs: options.resumeGraceMs ?? DEFAULTS.resumeGraceMs,
      })
    : null;
  // Kicks taken by any API process close the sockets of the instances this one hosts.
  if (host) kicks.subscribe(({ instanceId, kick }) => host.kick(instanceId, kick));

  let handle: ReturnType<typeof createApiRouter>['handle'] | null = null;
  let p2p: P2pSignaling | null = null;
  const server: Server = createServer();
  // Upgraded sockets leave the HTTP server's books, but not net's: tracked so close() can end stragglers.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  host?.attach(server);
  // Primus makes its request listener (its middleware and its own paths) the server's only one and
  // would parse the URL of every request to tell which are its own: it sees only /primus instead.
  let primusRequest = server.listeners('request') as RequestListener[];
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const path = pathOf(req.url);
    if (primusRequest.length > 0 && isPrimusPath(path)) {
      for (const listener of primusRequest) listener.call(server, req, res);
    } else if (p2p?.handles(path)) p2p.handleRequest(req, res);
    else if (handle) handle(req, res);
    else send(res, 503, '{"status":503,"code":"NO_CAPACITY","message":"starting"}', 'application/json');
  };
  server.removeAllListeners('request');
  server.on('request', onRequest);
  // The PeerServer of a P2P instance lives with the instance server hosting it: PeerJS signaling is
  // in-process, so both peers of an instance must reach the same one.
  if (host) {
    p2p = new P2pSignaling(server, {
      log,
      tokens,
      store,
      joiningUser: (id, peerID, withinMs) => host.joiningUser(id, peerID, withinMs),
      corsOrigin: cors.corsPackageOrigin,
    });
  }
  // Primus ignores upgrades to other paths and would leave those sockets open forever.
  // Sockets of WebSocket upgrades: close() waits for them (up to a bound) before it closes the port.
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req, socket, head) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    const path = pathOf(req.url);
    if (host && isPrimusPath(path)) return;
    if (p2p?.handles(path)) {
      if (!cors.allowsSocket(req)) {
        socket.end(ORIGIN_REFUSED_UPGRADE_ANSWER);
        return;
      }
      p2p.handleUpgrade(req, socket, head);
      return;
    }
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? DEFAULTS.port, bindHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    // Primus keeps timers of its own; without this a failed start would keep the process alive.
    p2p?.close();
    await host?.close();
    await kicks.close();
    await store.close();
    throw error;
  }
  server.on('error', (error) => log.error({ err: error }, 'http server error'));
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // Bytes after a `Connection: close` request: its answer is on its way and closes the socket.
    if (error.code === 'HPE_CLOSED_CONNECTION') return;
    if (socket.writable) socket.end(MALFORMED_REQUEST_ANSWER);
    else socket.destroy();
  });

  const port = (server.address() as AddressInfo).port;
  // A server bound to every interface cannot advertise that; loopback is the safe default there.
  const reachableHost = bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost;
  const advertised = publicAddress ?? { host: reachableHost, port };

  const serverAddress = `${advertised.host}:${advertised.port}`;
  // On a shared store this process is one instance server among several: it registers, and new
  // instances go to the least loaded live one. Alone, it hosts whatever it makes.
  const heartbeat =
    options.redis && host
      ? new ServerHeartbeat({
          store,
          address: serverAddress,
          capacity: options.maxInstances ?? DEFAULTS.serverCapacity,
          ttlMs: options.serverTtlMs ?? DEFAULTS.serverTtlMs,
          log,
          hosted: (ids) => host.watch(ids),
        })
      : null;
  await heartbeat?.start();

  const provisioner = parts.api
    ? new Provisioner({
        store,
        locations: new Locations(config, dev),
        // An API process alone hears of no socket: the instance server watches what it is given.
        lifecycle: host ?? { seatReserved: () => undefined },
        publicHost: advertised.host,
        publicPort: advertised.port,
        reservationTtlMs: options.reservationTtlMs ?? DEFAULTS.reservationTtlMs,
        maxInstances: options.maxInstances,
        allocate: options.redis ? async () => (await store.allocateServer())?.address ?? null : undefined,
        maxInstancesPerUser: options.maxInstancesPerUser ?? DEFAULTS.maxInstancesPerUser,
        p2p: {
          peerServer: {
            host: advertised.host,
            port: advertised.port,
            path: PEER_SERVER_PATH,
            secure: false,
            key: PEER_SERVER_KEY,
          },
          iceServers: (userId) => iceServersFor(turn, userId),
        },
      })
    : null;
  handle = createApiRouter({
    log,
    dev,
    adminToken: options.adminToken,
    store,
    tokens,
    parts,
    provisioner,
    host,
    serverAddress,
    kicks,
    ...(sfu ? { sfuCounts: sfu.counts } : {}),
    rateLimiter: new RateLimiter(options.rateLimit ?? DEFAULTS.rateLimit, 'requests from this address'),
    userRateLimiter: new RateLimiter(options.userRateLimit ?? DEFAULTS.userRateLimit, 'requests from this user'),
    guessLimiter,
    trustProxy,
    defaultKickSeconds: options.defaultKickSeconds ?? DEFAULTS.defaultKickSeconds,
    staticDir: options.staticDir ?? join(PACKAGE_ROOT, 'dist'),
    cors,
    startedAt,
    isClosing: () => closing,
  }).handle;

  const url = `http://${reachableHost.includes(':') ? `[${reachableHost}]` : reachableHost}:${port}`;
  log.info({ url, dev, role }, 'ir-rooms server listening');

  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      // From here provisioning, guest logins and new sockets are refused (503 / SERVER_SHUTDOWN).
      closing = true;
      // No more instances are allocated here.
      await heartbeat?.close();
      p2p?.close();
      await host?.close();
      // A destroyed Primus takes every request listener with it, ours included.
      primusRequest = [];
      server.removeAllListeners('request');
      server.on('request', onRequest);
      // Primus took its upgrade listener (and ours) away; without one, node would route upgrades as requests.
      server.removeAllListeners('upgrade');
      server.on('upgrade', (_req, socket: Duplex) => socket.end(SHUTTING_DOWN_UPGRADE_ANSWER));
      // The port stays open while peers finish their close handshake, so a client that provisions
      // again at once hears 503 (and goes elsewhere) rather than a refused connection.
      const drainUntil = Date.now() + CLOSE_GRACE_MS;
      while (upgraded.size > 0 && Date.now() < drainUntil) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        // Sockets whose peers did not answer the WebSocket close handshake are cut now.
        for (const socket of sockets) socket.destroy();
      });
      if (host) await endHostedInstances(store, serverAddress, log);
      await kicks.close();
      await store.close();
      log.info('ir-rooms server closed');
    })();
    return closed;
  };

  return { url, apiUrl: `${url}/api`, port, close };
}

/**
 * A closing server ends the instances it hosts, as a memory store forgets them: in a shared store
 * they would otherwise keep their seats and room codes with no process left to serve them. Its
 * clients were told SERVER_SHUTDOWN and provision again.
 */
async function endHostedInstances(store: Store, server: string, log: Logger): Promise<void> {
  try {
    for (const instance of await store.listInstances()) {
      if (instance.server === server) await store.endInstance(instance.id);
    }
  } catch (error) {
    log.warn({ err: error }, 'could not end the instances of this server in the store');
  }
}

/** A request URL's path, without its query. */
function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');
  return query < 0 ? raw : raw.slice(0, query);
}

function isPrimusPath(path: string): boolean {
  return path === PRIMUS_PATH || path.startsWith(`${PRIMUS_PATH}/`);
}
