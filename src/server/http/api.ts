/** The reference server's HTTP surface: provisioning, guest login, health, instances, demo page, bundle. */
import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AuthenticationRequest,
  type HealthAnswer,
  type InstanceSummary,
  type KickAnswer,
  KickRequest,
  LeaveRequest,
  ProvisionQuery,
  parseWire,
} from '../../protocol/index.js';
import type { TokenService } from '../auth/token-service.js';
import type { KickChannel } from '../cluster/kick-channel.js';
import type { RoleParts } from '../cluster/roles.js';
import type { InstanceHost } from '../instance/instance-host.js';
import type { Logger } from '../logger.js';
import { PACKAGE_ROOT, PACKAGE_VERSION } from '../package-root.js';
import type { Provisioner } from '../provisioning/provisioner.js';
import type { SfuCounts } from '../sfu/router.js';
import type { Store } from '../store/store.js';
import { clientAddress, requestIsSecure } from './client-address.js';
import type { CorsPolicy } from './cors.js';
import { HttpError } from './http-error.js';
import type { RateLimiter } from './rate-limiter.js';
import { type RequestContext, Router, send, sendJson } from './router.js';
import { StaticFiles } from './static-files.js';

export interface ApiOptions {
  log: Logger;
  dev: boolean;
  adminToken: string | undefined;
  store: Store;
  tokens: TokenService;
  /** What this process serves: the API routes, the instance server's, or both. */
  parts: RoleParts;
  /** With `parts.api`. */
  provisioner: Provisioner | null;
  /** With `parts.instance`. */
  host: InstanceHost | null;
  /** An instance server alone lists the instances it hosts: those whose server is this address. */
  serverAddress: string;
  /** Where kicks are announced to the instance servers. */
  kicks: KickChannel;
  /** Live SFU objects (transports, producers, consumers, data producers, data consumers). */
  sfuCounts?: SfuCounts;
  /** Per address, on provisioning and authentication. */
  rateLimiter: RateLimiter;
  /** Per user (token subject), on provisioning. */
  userRateLimiter: RateLimiter;
  /** Per address, missed room codes and instance ids (shared with the instance host). */
  guessLimiter: RateLimiter;
  /** Addresses from `X-Forwarded-For`. */
  trustProxy: boolean;
  /** A kick without `until` lasts this long. */
  defaultKickSeconds: number;
  staticDir: string;
  /** Which origins may read the answers (`--cors-origin`). */
  cors: CorsPolicy;
  startedAt: number;
  isClosing: () => boolean;
}

const DEMO_DIR = join(PACKAGE_ROOT, 'src', 'server', 'demo');
const DEMO_PAGE = join(DEMO_DIR, 'index.html');

export function createApiRouter(o: ApiOptions): Router {
  const router = new Router(o.log, o.cors);
  const files = new StaticFiles(o.staticDir);
  const address = (ctx: RequestContext) => clientAddress(ctx.req, o.trustProxy);
  const limit = (ctx: RequestContext) => o.rateLimiter.check(address(ctx));
  const refuseWhileClosing = () => {
    // Clients re-provision at once; elsewhere, when a load balancer sends them there.
    if (o.isClosing()) throw HttpError.noCapacity('the server is shutting down', 1);
  };

  if (o.parts.api) addApiRoutes(router, o, limit, refuseWhileClosing);

  router.route('GET', '/api/health', async (ctx) => {
    const answer: HealthAnswer = {
      status: o.isClosing() ? 'shutting-down' : 'ok',
      instances: (await hostedInstances(o)).length,
      peers: o.host?.peerCount ?? 0,
      heldPeers: o.host?.heldPeerCount ?? 0,
      uptimeSeconds: Math.round((Date.now() - o.startedAt) / 1000),
      version: PACKAGE_VERSION,
      ...o.sfuCounts,
    };
    sendJson(ctx.res, 200, answer);
  });

  router.route('GET', '/api/instances', async (ctx) => {
    if (!o.dev) checkAdmin(ctx, o.adminToken);
    const summaries: InstanceSummary[] = [];
    for (const record of await hostedInstances(o)) {
      const counts = await o.store.seatCounts(record.id);
      summaries.push({
        id: record.id,
        locationId: record.locationId,
        channelId: record.channelId,
        roomCode: record.roomCode,
        p2p: record.p2p,
        private: record.private,
        peers: counts.peers,
        seats: counts.peers + counts.reservations,
        capacity: record.capacity,
        server: record.server,
      });
    }
    sendJson(ctx.res, 200, summaries);
  });

  router.prefix('POST', '/api/instances/', async (ctx) => {
    const leave = /^([^/]+)\/leave$/.exec(ctx.rest);
    if (leave && o.host) {
      await leaveByBeacon(ctx, o.host, leave[1]!);
      return;
    }
    const match = /^([^/]+)\/kick$/.exec(ctx.rest);
    if (!match || !o.parts.api) throw HttpError.notFound(`no such path ${ctx.path.slice(0, 200)}`);
    await kick(ctx, o, match[1]!);
  });

  /**
   * A page going away leaves by beacon (PROTOCOL.md §4): the peer departs now instead of being
   * held for a resume. 204 whether or not it was still there; only the peer's own user may.
   * The kit posts it to the instance server's origin, so it is an instance server's route.
   */
  async function leaveByBeacon(ctx: RequestContext, host: InstanceHost, rawId: string): Promise<void> {
    const body = parseWire(LeaveRequest, await ctx.readJson());
    if (!body.ok) throw HttpError.badRequest(body.message);
    const check = await o.tokens.verify(body.value.token);
    if (!check.ok) throw HttpError.unauthorized('the token is not valid');
    let instanceId: string;
    try {
      instanceId = decodeURIComponent(rawId);
    } catch {
      throw HttpError.badRequest('malformed instance id');
    }
    const left = host.leave(instanceId, body.value.peerID, check.user.id);
    ctx.log.debug({ instanceId, peerID: body.value.peerID, left }, 'left by beacon');
    ctx.res.writeHead(204).end();
  }

  router.fallback(async (ctx) => {
    const method = ctx.req.method ?? 'GET';
    if (o.parts.api && (method === 'GET' || method === 'HEAD') && /^\/[^/]+\.map$/.test(ctx.path)) {
      await files.serve(ctx, ctx.path.slice(1));
      return;
    }
    throw HttpError.notFound(`no such path ${ctx.path.slice(0, 200)}`);
  });
  return router;
}

/** The instances this process answers for: all of them, or an instance server's own. */
async function hostedInstances(o: ApiOptions) {
  const all = await o.store.listInstances();
  return o.parts.api ? all : all.filter((i) => i.server === o.serverAddress);
}

function addApiRoutes(
  router: Router,
  o: ApiOptions,
  limit: (ctx: RequestContext) => void,
  refuseWhileClosing: () => void,
): void {
  const provisioner = o.provisioner!;
  const files = new StaticFiles(o.staticDir);
  const demoFiles = new StaticFiles(DEMO_DIR);
  const address = (ctx: RequestContext) => clientAddress(ctx.req, o.trustProxy);

  router.route('GET', '/api/instance-provision', async (ctx) => {
    refuseWhileClosing();
    limit(ctx);
    const raw = ctx.query();
    // A missing token is an auth failure (401), not a malformed request.
    if (raw.token === undefined || raw.token === '') throw HttpError.unauthorized('token is required');
    const query = parseWire(ProvisionQuery, raw);
    if (!query.ok) throw HttpError.badRequest(query.message);
    const check = await o.tokens.verify(query.value.token);
    if (!check.ok) throw HttpError.unauthorized('token is invalid or expired');
    o.userRateLimiter.check(check.user.id);
    const from = address(ctx);
    const guessing = query.value.roomCode !== undefined || query.value.instanceId !== undefined;
    // One miss too many is refused before the lookup, so the answer says nothing about the code.
    if (guessing) o.guessLimiter.assertUnder(from, Date.now(), 1);
    const instance = await provisioner.provision(query.value, check.user, {
      missed: () => o.guessLimiter.record(from),
      secure: requestIsSecure(ctx.req, o.trustProxy),
    });
    ctx.log.debug({ instanceId: instance.id, userId: check.user.id }, 'provisioned');
    sendJson(ctx.res, 200, instance);
  });

  router.route('POST', '/api/authentication', async (ctx) => {
    refuseWhileClosing();
    limit(ctx);
    if (!o.dev) throw HttpError.forbidden('guest login is only available in dev mode');
    const request = parseWire(AuthenticationRequest, await ctx.readJson());
    if (!request.ok) throw HttpError.badRequest(request.message);
    sendJson(ctx.res, 201, await o.tokens.issueGuest(request.value.name, request.value.avatarUrl));
  });

  router.route('GET', '/', async (ctx) => {
    send(ctx.res, 200, await readFile(DEMO_PAGE), 'text/html; charset=utf-8', { 'cache-control': 'no-cache' });
  });
  // The demo's script and styles (plain files beside its page: the page is no build output).
  router.prefix('GET', '/demo/', (ctx) => demoFiles.serve(ctx, ctx.rest));
  router.route('GET', '/ir-rooms.js', (ctx) => files.serve(ctx, 'ir-rooms.js'));
  router.prefix('GET', '/chunks/', (ctx) => files.serve(ctx, `chunks/${ctx.rest}`));
}

/**
 * `POST /api/instances/:id/kick`: recorded in the store first (so a reconnect racing the close is
 * refused by every process), then the sockets closed: here when this process hosts the instance,
 * and by every instance server that hears the notice on the kick channel.
 */
async function kick(ctx: RequestContext, o: ApiOptions, rawId: string): Promise<void> {
  // Kicks need the admin token even in dev mode: they act on other people.
  checkAdmin(ctx, o.adminToken);
  const body = parseWire(KickRequest, await ctx.readJson());
  if (!body.ok) throw HttpError.badRequest(body.message);
  let instanceId: string;
  try {
    instanceId = decodeURIComponent(rawId);
  } catch {
    throw HttpError.badRequest('malformed instance id');
  }
  const instance = await o.store.getInstance(instanceId);
  if (!instance) throw HttpError.notFound(`no live instance ${instanceId.slice(0, 200)}`);
  const { peerID, userID, until } = body.value;
  const untilMs = typeof until === 'string' ? Date.parse(until) : Date.now() + (until ?? o.defaultKickSeconds) * 1000;
  if (untilMs <= Date.now()) throw HttpError.badRequest('until is in the past');
  // A world instance's media channel goes with it: a kicked person leaves the room's voice too.
  const media = instance.kind === 'world' ? await o.store.findMediaInstance(instance.channelId) : null;
  const targets = media ? [instance, media] : [instance];
  const kick = { until: untilMs, ...(peerID ? { peerId: peerID } : {}), ...(userID ? { userId: userID } : {}) };
  let peers = 0;
  for (const target of targets) {
    await o.store.addKick(target.id, kick);
    const local = o.host?.kick(target.id, kick) ?? null;
    // Peers hosted elsewhere are known by their seats.
    const seated = (await o.store.seatedPeers(target.id)).filter((s) => s.peerId === peerID || s.userId === userID);
    peers += local ? local.peers : seated.length;
    // A peer kicked by peerID is its person: their user is refused too (provisioning knows no peerID).
    for (const userId of new Set([...(local?.users ?? []), ...seated.map((s) => s.userId)])) {
      if (userId === userID) continue;
      for (const each of targets) await o.store.addKick(each.id, { userId, until: untilMs });
    }
    await o.kicks.publish({ instanceId: target.id, kick });
  }
  const answer: KickAnswer = { instanceId: instance.id, kicked: peers, until: new Date(untilMs).toISOString() };
  ctx.log.info({ instanceId: instance.id, peerID, userID, until: answer.until }, 'kicked');
  sendJson(ctx.res, 200, answer);
}

function checkAdmin(ctx: RequestContext, adminToken: string | undefined): void {
  const header = ctx.req.headers.authorization;
  const match = header ? /^Bearer (.+)$/.exec(header) : null;
  if (!match) throw HttpError.unauthorized('an admin token is required (Authorization: Bearer <token>)');
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(adminToken ?? '');
  if (!adminToken) throw HttpError.forbidden('no admin token is configured (--admin-token)');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw HttpError.forbidden('the admin token is not valid');
  }
}
