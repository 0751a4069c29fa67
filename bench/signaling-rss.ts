/**
 * Server memory per connected signaling peer: RSS of the server's process (a child of this one)
 * with N peers connected and heartbeating, minus its RSS before they came, divided by N. Ours:
 * guests provisioned into a location (dev mode: 50 seats an instance, so N/50 instances) and joined
 * over the real Primus client. Anchor: the `peer` package's PeerServer with N raw `ws` clients.
 * 100 warm-up peers connect before the "before" figure, so one-off costs are not counted per peer:
 * code and JIT, the first instances, and above all V8's young generation, which grows once (by
 * about 15 MB in ours) under the allocations of the first joins. Rounds alternate ours, anchor, ours, anchor.
 *
 *   node --import tsx bench/signaling-rss.ts [--peers 1000] [--rounds 2] [--heap-snapshot DIR]
 *
 * `--heap-snapshot DIR` writes the server's heap before and after the peers there (a diff shows
 * what a peer costs).
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';
import { PeerServer } from 'peer';
import { WebSocket } from 'ws';
import { UNLIMITED } from '../test/node/helpers.js';
import { builtServer } from './built-server.js';
import { forkChild, parentChannel } from './child-process.js';
import { joinOurs } from './instance-clients.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: {
    peers: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '2' },
    role: { type: 'string', default: 'clients' },
    'heap-snapshot': { type: 'string' },
  },
});

type Side = 'ours' | 'anchor';
type ToParent =
  | { kind: 'listening'; url: string }
  | { kind: 'memory'; rss: number; heapUsed: number; heapTotal: number; external: number };
type Memory = Extract<ToParent, { kind: 'memory' }>;

/** Enough joins for the young generation to reach its working size (see the file's comment). */
const WARMUP_PEERS = 100;
/** Peers connecting at once. */
const CONCURRENCY = 20;
/** Heartbeats go on this long after the last peer joined, before the figure is taken. */
const SETTLE_MS = 2000;

/** In a server child: answers `measure` with its memory after a full collection. */
function answerMeasures(parent: ReturnType<typeof parentChannel>): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the server child runs with --expose-gc');
  void (async () => {
    for (;;) {
      await parent.next('measure');
      gc();
      gc();
      if (values['heap-snapshot'])
        writeHeapSnapshot(join(values['heap-snapshot'], `${values.role}-${Date.now()}.heapsnapshot`));
      const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
      parent.send({ kind: 'memory', rss, heapUsed, heapTotal, external } satisfies ToParent);
    }
  })();
}

async function serveOurs(): Promise<void> {
  const parent = parentChannel();
  const { startServer } = await builtServer();
  const server = await startServer({ port: 0, dev: true, logLevel: 'silent', ...UNLIMITED });
  answerMeasures(parent);
  parent.send({ kind: 'listening', url: server.url } satisfies ToParent);
}

async function serveAnchor(): Promise<void> {
  const parent = parentChannel();
  const server = await new Promise<Server>((resolve) => {
    PeerServer({ host: '127.0.0.1', port: 0 }, (s) => resolve(s as Server));
  });
  answerMeasures(parent);
  parent.send({
    kind: 'listening',
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
  } satisfies ToParent);
}

/** A PeerJS client's signaling socket: open, wait for OPEN, a HEARTBEAT every 5 s as peerjs sends. */
async function peerJsClient(wsUrl: string): Promise<() => void> {
  const query = new URLSearchParams({ key: 'peerjs', id: randomUUID(), token: randomUUID().slice(0, 8) });
  const ws = new WebSocket(`${wsUrl}/peerjs?${query}`);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('PeerServer sent no OPEN in 8 s')), 8000);
    ws.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type?: string }).type === 'OPEN') {
        clearTimeout(timer);
        resolve();
      }
    });
    ws.once('error', reject);
  });
  const heartbeat = setInterval(() => ws.send('{"type":"HEARTBEAT"}'), 5000);
  return () => {
    clearInterval(heartbeat);
    ws.close();
  };
}

/** Connects `count` peers, `CONCURRENCY` at a time; their closers. */
async function connect(count: number, one: () => Promise<() => void>): Promise<(() => void)[]> {
  const closers: (() => void)[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        next++;
        closers.push(await one());
      }
    }),
  );
  return closers;
}

type PerPeer = Record<'rss' | 'heapUsed' | 'heapTotal' | 'external', number>;

async function round(side: Side, peers: number): Promise<PerPeer & { secondHalfRss: number }> {
  const file = fileURLToPath(import.meta.url);
  const snapshots = values['heap-snapshot'] ? ['--heap-snapshot', values['heap-snapshot']] : [];
  const child = forkChild(file, ['--role', side, ...snapshots], ['--expose-gc']);
  try {
    const { url } = await child.next<Extract<ToParent, { kind: 'listening' }>>('listening');
    const one =
      side === 'ours'
        ? async () => {
            const peer = await joinOurs(url, 'bench-rss');
            return () => peer.close();
          }
        : () => peerJsClient(url);
    const measure = async () => {
      child.send({ kind: 'measure' });
      return child.next<Memory>('memory');
    };
    const warm = await connect(WARMUP_PEERS, one);
    const before = await measure();
    const half = Math.floor(peers / 2);
    const first = await connect(half, one);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const middle = await measure();
    const second = await connect(peers - half, one);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const after = await measure();
    for (const close of [...warm, ...first, ...second]) close();
    const per = (key: keyof PerPeer) => (after[key] - before[key]) / peers;
    return {
      rss: per('rss'),
      heapUsed: per('heapUsed'),
      heapTotal: per('heapTotal'),
      external: per('external'),
      secondHalfRss: (after.rss - middle.rss) / (peers - half),
    };
  } finally {
    await child.stop();
  }
}

async function clients(): Promise<void> {
  const peers = Number(values.peers);
  const rounds = Number(values.rounds);
  const results: Record<Side, (PerPeer & { secondHalfRss: number })[]> = { ours: [], anchor: [] };
  for (let r = 0; r < rounds; r++) {
    for (const side of ['ours', 'anchor'] as const) results[side].push(await round(side, peers));
  }
  const kib = (bytes: number) => Number((bytes / 1024).toFixed(1));
  // RSS is the figure; the heap (used and reserved) and external memory say where it went.
  const summary = (side: Side) => ({
    rssKiBPerPeer: results[side].map((r) => kib(r.rss)),
    heapUsedKiBPerPeer: results[side].map((r) => kib(r.heapUsed)),
    heapTotalKiBPerPeer: results[side].map((r) => kib(r.heapTotal)),
    externalKiBPerPeer: results[side].map((r) => kib(r.external)),
    secondHalfRssKiBPerPeer: results[side].map((r) => kib(r.secondHalfRss)),
  });
  const ours = summary('ours');
  const anchor = summary('anchor');
  console.log(
    JSON.stringify(
      {
        peers,
        rounds,
        ours,
        anchor,
        // null when the anchor's peers stayed inside RSS' steps (0 KiB).
        ratio:
          median(anchor.rssKiBPerPeer) > 0
            ? Number((median(ours.rssKiBPerPeer) / median(anchor.rssKiBPerPeer)).toFixed(3))
            : null,
      },
      null,
      2,
    ),
  );
}

if (values.role === 'ours') await serveOurs();
else if (values.role === 'anchor') await serveAnchor();
else await clients();
