/**
 * Provisioning requests per second and p99 latency: autocannon (in this process) against our API
 * and against an anchor, a bare `node:http` server that finds or creates an instance in a Map, each
 * server in a child process of its own. Rounds alternate ours, anchor, ours, anchor.
 *
 *   node --import tsx bench/provisioning.ts [--connections 50] [--seconds 10] [--rounds 2] [--store memory]
 *
 * `--store redis`: our server keeps its state in a redis-server this bench starts (Debian's), and
 * the anchor finds or creates with ioredis in the same Redis (one GET, a SET NX the first time).
 * `--cpu-prof DIR` writes a CPU profile of our server's process there. After the rounds, a shorter
 * run under the inspector's profiler says where our server's CPU goes (`ours.cpu`).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { ProvisionedInstance } from '../src/protocol/index.js';
import type { RunningServer, ServerOptions } from '../src/server/index.js';
import { guest, UNLIMITED } from '../test/node/helpers.js';
import { startRedis } from '../test/node/redis-server.js';
import { builtServer } from './built-server.js';
import { answerCpu, cpuOf, forkChild, parentChannel } from './child-process.js';
import { type Category, type Share, sharesOf, startProfile } from './cpu-profile.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    store: { type: 'string', default: 'memory' },
    role: { type: 'string', default: 'load' },
    'redis-url': { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
const STORES = ['memory', 'redis'] as const;
type StoreName = (typeof STORES)[number];
const store = values.store as StoreName;
if (!STORES.includes(store)) throw new Error(`--store is memory or redis, not ${values.store}`);

type Side = 'ours' | 'anchor';
type ToParent = { kind: 'listening'; url: string } | { kind: 'profiling' } | { kind: 'profile'; shares: Share[] };
type Listening = Extract<ToParent, { kind: 'listening' }>;

/** Where our server's CPU goes while it answers provisioning requests. */
const CATEGORIES: readonly Category[] = [
  ['verifying the token (jose over WebCrypto)', /\/jose\/|node:internal\/crypto|js_transferable|token-service/],
  ['writing the answer', /^sendJson$|^writev$|_http_outgoing|stream_base_commons/],
  ['provisioner and store', /server\/provisioning\/|server\/store\//],
  ['query parsing and validation', /valibot|src\/protocol\//],
  ['rate limiters', /rate-limiter/],
  ['routing', /server\/http\//],
  ['node:http request parsing', /_http_server|_http_common|_http_incoming/],
];

/** Our server's options for a store: the Redis one under a prefix of its own. */
function storeOptions(name: StoreName): ServerOptions {
  if (name === 'memory') return {};
  const url = values['redis-url'];
  if (!url) throw new Error('--store redis needs --redis-url (the load role starts a redis-server)');
  return { redis: url, redisPrefix: `bench:${randomUUID()}:` };
}

async function serveOurs(): Promise<void> {
  const parent = parentChannel();
  answerCpu(parent);
  const { startServer } = await builtServer();
  const server = await startServer({ port: 0, dev: true, logLevel: 'silent', ...UNLIMITED, ...storeOptions(store) });
  parent.send({ kind: 'listening', url: server.url } satisfies ToParent);
  for (;;) {
    await parent.next('profile-start');
    const stop = await startProfile();
    parent.send({ kind: 'profiling' } satisfies ToParent);
    await parent.next('profile-stop');
    parent.send({ kind: 'profile', shares: sharesOf(await stop(), CATEGORIES) } satisfies ToParent);
  }
}

/**
 * The anchor: the same query parsing (URLSearchParams, token and one of locationId / channelId
 * required) and an answer of the same shape, with instances found or created in a Map. It checks
 * no token and reserves no seat: it is the floor a Node HTTP server sets.
 */
async function serveAnchor(): Promise<void> {
  const parent = parentChannel();
  answerCpu(parent);
  const instances = new Map<string, ProvisionedInstance>();
  const redis = store === 'redis' ? new Redis(values['redis-url'] as string) : null;
  const prefix = `bench-anchor:${randomUUID()}:`;
  /** Find or create: the Map, or with Redis one GET (and a SET NX the first time). */
  const findOrCreate = async (key: string, make: () => ProvisionedInstance): Promise<ProvisionedInstance> => {
    if (!redis) {
      let instance = instances.get(key);
      if (!instance) {
        instance = make();
        instances.set(key, instance);
      }
      return instance;
    }
    const found = await redis.get(prefix + key);
    if (found) return JSON.parse(found) as ProvisionedInstance;
    await redis.set(prefix + key, JSON.stringify(make()), 'NX');
    return JSON.parse((await redis.get(prefix + key)) as string) as ProvisionedInstance;
  };
  let port = 0;
  const server = createServer(async (req, res) => {
    const [path, search = ''] = (req.url ?? '').split('?');
    const answer = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
        'cache-control': 'no-store',
      });
      res.end(text);
    };
    if (req.method !== 'GET' || path !== '/api/instance-provision') return answer(404, { status: 404 });
    const query = new URLSearchParams(search);
    const key = query.get('locationId') ?? query.get('channelId');
    if (!query.get('token')) return answer(401, { status: 401 });
    if (!key) return answer(400, { status: 400 });
    const instance = await findOrCreate(key, () => ({
      id: randomUUID(),
      ipAddress: '127.0.0.1',
      port,
      roomCode: randomUUID().slice(0, 6).toUpperCase(),
      p2p: false,
      channelId: randomUUID(),
    }));
    answer(200, instance);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  parent.send({ kind: 'listening', url: `http://127.0.0.1:${port}` } satisfies ToParent);
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: { url: string; connections: number; duration: number }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

async function load(): Promise<void> {
  const connections = Number(values.connections);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const file = fileURLToPath(import.meta.url);
  const redis = store === 'redis' ? await startRedis() : null;
  const storeArgs = ['--store', store, ...(redis ? ['--redis-url', redis.url] : [])];
  const servers = {
    ours: forkChild(
      file,
      ['--role', 'ours', ...storeArgs],
      values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [],
    ),
    anchor: forkChild(file, ['--role', 'anchor', ...storeArgs]),
  };
  try {
    const urls = {
      ours: (await servers.ours.next<Listening>('listening')).url,
      anchor: (await servers.anchor.next<Listening>('listening')).url,
    };
    const { accessToken } = await guest({ url: urls.ours, apiUrl: `${urls.ours}/api` } as RunningServer, 'Bench');
    const target = (side: Side) =>
      `${urls[side]}/api/instance-provision?${new URLSearchParams({ locationId: 'bench', token: accessToken })}`;
    // Both servers warm up (JIT, the first instance) before anything is measured.
    for (const side of ['ours', 'anchor'] as const) {
      await autocannon({ url: target(side), connections, duration: 1 });
    }
    const results: Record<Side, AutocannonResult[]> = { ours: [], anchor: [] };
    const cpuPerRequest: Record<Side, number[]> = { ours: [], anchor: [] };
    for (let round = 0; round < rounds; round++) {
      for (const side of ['ours', 'anchor'] as const) {
        const before = await cpuOf(servers[side]);
        const result = await autocannon({ url: target(side), connections, duration: seconds });
        cpuPerRequest[side].push(Number(((await cpuOf(servers[side])) - before) / result.requests.total));
        results[side].push(result);
      }
    }
    const summary = (side: Side) => ({
      requestsPerSecond: results[side].map((r) => Math.round(r.requests.average)),
      cpuMicrosPerRequest: cpuPerRequest[side].map((micros) => Number(micros.toFixed(1))),
      p50Ms: results[side].map((r) => r.latency.p50),
      p99Ms: results[side].map((r) => r.latency.p99),
      failed: results[side].reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0),
      statuses: results[side].map((r) =>
        Object.fromEntries(Object.entries(r.statusCodeStats).map(([status, { count }]) => [status, count])),
      ),
    });
    // A separate, shorter run under the profiler (it slows the server): what dominates our cost.
    servers.ours.send({ kind: 'profile-start' });
    await servers.ours.next('profiling');
    await autocannon({ url: target('ours'), connections, duration: Math.min(seconds, 3) });
    servers.ours.send({ kind: 'profile-stop' });
    const { shares } = await servers.ours.next<Extract<ToParent, { kind: 'profile' }>>('profile');
    const ours = { ...summary('ours'), cpu: shares };
    const anchor = summary('anchor');
    console.log(
      JSON.stringify(
        {
          store,
          connections,
          seconds,
          rounds,
          ours,
          anchor,
          ratio: Number((median(ours.requestsPerSecond) / median(anchor.requestsPerSecond)).toFixed(3)),
        },
        null,
        2,
      ),
    );
  } finally {
    await Promise.all([servers.ours.stop(), servers.anchor.stop()]);
    await redis?.dispose();
  }
}

if (values.role === 'ours') await serveOurs();
else if (values.role === 'anchor') await serveAnchor();
else await load();
