/**
 * Action round trip on the instance socket: peer A sends an action `$to` peer B, which echoes it
 * back `$to` A; N sequential round trips, timed in this process. Ours: two guests joined to one
 * instance of our server over the real Primus client. Anchor: a raw `ws` server relaying the same
 * JSON frames between two raw `ws` clients. Each server runs in a child process; the sides take
 * turns round trip by round trip (A B A B), and each round reports its p50 and p99.
 *
 *   node --import tsx bench/action-round-trip.ts [--messages 5000] [--rounds 2] [--warmup 200]
 */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';
import { UNLIMITED } from '../test/node/helpers.js';
import { builtServer } from './built-server.js';
import { answerCpu, cpuOf, forkChild, parentChannel } from './child-process.js';
import { type BenchAction, type BenchPeer, joinOurs, joinRelay } from './instance-clients.js';
import { median, percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '200' },
    role: { type: 'string', default: 'clients' },
  },
});

type Side = 'ours' | 'anchor';
/** Round trips in a row before the other side's turn: one, so the machine's state at any moment lands on both. */
const BATCH = 1;
type ToParent = { kind: 'listening'; url: string };

async function serveOurs(): Promise<void> {
  const parent = parentChannel();
  answerCpu(parent);
  const { startServer } = await builtServer();
  const server = await startServer({ port: 0, dev: true, logLevel: 'silent', ...UNLIMITED });
  parent.send({ kind: 'listening', url: server.url } satisfies ToParent);
}

/** The anchor: frames of actions relayed by `$to`, the sender stamped as `$peer`; `[]` ignored. */
async function serveAnchor(): Promise<void> {
  const parent = parentChannel();
  answerCpu(parent);
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  const peers = new Map<string, import('ws').WebSocket>();
  wss.on('connection', (ws, req) => {
    const id = new URL(req.url ?? '', 'http://x').searchParams.get('id');
    if (!id) return ws.close(1008);
    peers.set(id, ws);
    ws.on('close', () => peers.delete(id));
    ws.on('message', (data) => {
      const actions = JSON.parse(String(data)) as BenchAction[];
      const outgoing = new Map<string, BenchAction[]>();
      for (const action of actions) {
        action.$peer = id;
        const to = String(action.$to);
        outgoing.set(to, [...(outgoing.get(to) ?? []), action]);
      }
      for (const [to, list] of outgoing) peers.get(to)?.send(JSON.stringify(list));
    });
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  parent.send({ kind: 'listening', url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` } satisfies ToParent);
}

/** An object update of the size apps send many of: a pose and a short label. */
const payload = (seq: number) => ({
  seq,
  position: [1.5, 0, -3.25],
  rotation: [0, 0.6, 0, 0.8],
  label: 'avatar-transform-0123456789',
});

/** B answers every ping with a pong to its sender; the result times `count` sequential round trips (ms) from A. */
function echoPair(a: BenchPeer, b: BenchPeer): (count: number) => Promise<number[]> {
  let waiting: ((seq: number) => void) | null = null;
  a.onFrame((actions) => {
    for (const action of actions) if (action.type === 'bench.pong') waiting?.(action.seq as number);
  });
  b.onFrame((actions) => {
    for (const action of actions) {
      if (action.type === 'bench.ping')
        b.send([{ type: 'bench.pong', $to: action.$peer, ...payload(action.seq as number) }]);
    }
  });
  return async (count) => {
    const times: number[] = [];
    for (let seq = 0; seq < count; seq++) {
      const started = process.hrtime.bigint();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no pong for ping ${seq} in 5 s`)), 5000);
        waiting = (got) => {
          if (got !== seq) return;
          clearTimeout(timer);
          resolve();
        };
        a.send([{ type: 'bench.ping', $to: b.peerID, ...payload(seq) }]);
      });
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    return times;
  };
}

async function clients(): Promise<void> {
  const count = Number(values.messages);
  const rounds = Number(values.rounds);
  const warmup = Number(values.warmup);
  const file = fileURLToPath(import.meta.url);
  const servers = { ours: forkChild(file, ['--role', 'ours']), anchor: forkChild(file, ['--role', 'anchor']) };
  try {
    const oursUrl = (await servers.ours.next<ToParent>('listening')).url;
    const anchorUrl = (await servers.anchor.next<ToParent>('listening')).url;
    const pairs: Record<Side, [BenchPeer, BenchPeer]> = {
      ours: [await joinOurs(oursUrl, 'bench-rtt', 'A'), await joinOurs(oursUrl, 'bench-rtt', 'B')],
      anchor: [await joinRelay(anchorUrl), await joinRelay(anchorUrl)],
    };
    const roundTrips = { ours: echoPair(...pairs.ours), anchor: echoPair(...pairs.anchor) };
    const samples: Record<Side, number[][]> = { ours: [], anchor: [] };
    for (const side of ['ours', 'anchor'] as const) await roundTrips[side](warmup);
    // Within a round the sides alternate every BATCH round trips, so a burst of load from elsewhere
    // on the machine lands on both rather than on one side's whole round.
    // Each server's CPU time a round trip (it relays two frames), over all rounds: steadier than latency.
    const cpuBefore = { ours: await cpuOf(servers.ours), anchor: await cpuOf(servers.anchor) };
    for (let round = 0; round < rounds; round++) {
      const times: Record<Side, number[]> = { ours: [], anchor: [] };
      for (let done = 0; done < count; done += BATCH) {
        for (const side of ['ours', 'anchor'] as const) {
          times[side].push(...(await roundTrips[side](Math.min(BATCH, count - done))));
        }
      }
      for (const side of ['ours', 'anchor'] as const) samples[side].push(times[side]);
    }
    const cpuAfter = { ours: await cpuOf(servers.ours), anchor: await cpuOf(servers.anchor) };
    const cpuMicrosPerRoundTrip = (side: Side) =>
      Number(((cpuAfter[side] - cpuBefore[side]) / (count * rounds)).toFixed(1));
    for (const pair of Object.values(pairs)) for (const peer of pair) peer.close();
    const summary = (side: Side) => ({
      p50Ms: samples[side].map((times) => Number(percentile(times, 50).toFixed(3))),
      p99Ms: samples[side].map((times) => Number(percentile(times, 99).toFixed(3))),
      cpuMicrosPerRoundTrip: cpuMicrosPerRoundTrip(side),
    });
    const ours = summary('ours');
    const anchor = summary('anchor');
    console.log(
      JSON.stringify(
        {
          messages: count,
          rounds,
          ours,
          anchor,
          p99Ratio: Number((median(ours.p99Ms) / median(anchor.p99Ms)).toFixed(3)),
        },
        null,
        2,
      ),
    );
  } finally {
    await Promise.all([servers.ours.stop(), servers.anchor.stop()]);
  }
}

if (values.role === 'ours') await serveOurs();
else if (values.role === 'anchor') await serveAnchor();
else await clients();
