/**
 * Fuzz (fast-check) of the PeerServer at /peerjs: upgrades with arbitrary key, id and token, and
 * arbitrary frames on an open PeerJS socket. Upgrades open or get a 4xx; frames never reach a peer
 * with a `src` other than their sender, never leave the instance, and never close another peer's
 * socket. `FUZZ_RUNS` sets the suite's total (default 10,000; this file takes 5%); `FUZZ_SEED`
 * replays a run.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { p2pPeerJsId } from '../../src/protocol/p2p.js';
import type { RunningServer } from '../../src/server/index.js';
import { eventually, guest, join, provisionOk, start, type TestSocket } from './helpers.js';

const TOTAL = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const runs = (share: number) => Math.max(1, Math.round(TOTAL * share));

interface PeerJsSocket {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  closed: boolean;
}

/** Opens a PeerJS socket; the HTTP status when the upgrade is refused. */
function openPeerJs(server: RunningServer, query: Record<string, string>): Promise<PeerJsSocket | number> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/peerjs/peerjs?${new URLSearchParams(query)}`);
  const socket: PeerJsSocket = { ws, messages: [], closed: false };
  ws.on('message', (data) => {
    try {
      socket.messages.push(JSON.parse(String(data)) as Record<string, unknown>);
    } catch {
      socket.messages.push({ unreadable: String(data).slice(0, 200) });
    }
  });
  ws.on('close', () => {
    socket.closed = true;
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(socket));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.once('error', reject);
  });
}

describe('fuzz: the PeerServer (/peerjs)', () => {
  let server: RunningServer;
  const sockets: TestSocket[] = [];
  const peerJs: WebSocket[] = [];
  let observer: { id: string; socket: PeerJsSocket; joined: TestSocket };
  let fuzzer: { id: string; token: string; socket: PeerJsSocket | null };
  let prober: { id: string; token: string };
  let otherInstanceId = '';

  async function joinMesh(locationId: string, name: string) {
    const { accessToken } = await guest(server, name);
    const instance = await provisionOk(server, { locationId, token: accessToken, topology: 'p2p' });
    const joined = await join(server, accessToken, { instanceId: instance.id, locationId });
    sockets.push(joined.socket);
    return { token: accessToken, instanceId: instance.id, id: p2pPeerJsId(instance.id, joined.socket.peerID), joined };
  }

  async function openOk(id: string, token: string): Promise<PeerJsSocket> {
    const socket = await openPeerJs(server, { key: 'peerjs', id, token });
    if (typeof socket === 'number') throw new Error(`the PeerJS socket of ${id} was refused with ${socket}`);
    peerJs.push(socket.ws);
    return socket;
  }

  before(async () => {
    server = await start({ config: { locations: { mesh: { topology: 'p2p', maxUsersPerInstance: 8 } } } });
    const watching = await joinMesh('mesh', 'Observer');
    observer = { id: watching.id, socket: await openOk(watching.id, watching.token), joined: watching.joined.socket };
    const fuzzing = await joinMesh('mesh', 'Fuzzer');
    fuzzer = { id: fuzzing.id, token: fuzzing.token, socket: null };
    const probing = await joinMesh('mesh', 'Prober');
    prober = { id: probing.id, token: probing.token };
    otherInstanceId = (await joinMesh('elsewhere', 'Stranger')).instanceId;
  });
  after(async () => {
    for (const ws of peerJs) ws.terminate();
    for (const socket of sockets) socket.close();
    await server.close();
  });

  function assertObserverUntouched(label: string): void {
    assert.equal(observer.socket.closed, false, `${label}: the observer's PeerJS socket closed`);
    assert.equal(observer.joined.isEnded, false, `${label}: the observer's instance socket closed`);
    for (const message of observer.socket.messages) {
      if (message.type === 'OPEN' || message.type === 'HEARTBEAT') continue;
      assert.equal(
        message.src,
        fuzzer.id,
        `${label}: a message with src ${JSON.stringify(message.src)} reached the observer`,
      );
    }
  }

  const garbage = () => fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 30 }));

  it(`answers ${runs(0.025)} fuzzed PeerJS upgrades by opening or with a 4xx`, async () => {
    const id = fc.oneof(
      fc.constant(null).map(() => prober.id),
      fc.constant(null).map(() => observer.id),
      fc.constant(null).map(() => p2pPeerJsId(otherInstanceId, randomUUID())),
      fc.constant(null).map(() => `${prober.id}x`),
      fc.string({ maxLength: 60 }),
      fc.constantFrom('', '_', 'h_zz_zz', 'a_b_c', 'x'.repeat(1000)),
    );
    const token = fc.oneof(
      fc.constant(null).map(() => prober.token),
      fc.constant(null).map(() => fuzzer.token),
      fc.string({ maxLength: 40 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constant('peerjs'), fc.string({ maxLength: 10 })), id, token, async (k, i, t) => {
        const outcome = await openPeerJs(server, { key: k, id: i, token: t });
        if (typeof outcome === 'number') {
          assert.ok(outcome >= 400 && outcome < 500, `key ${k} id ${i.slice(0, 80)}: status ${outcome}`);
          return;
        }
        outcome.ws.terminate();
        assert.equal(i, prober.id, `only the prober's own id opens, not ${i.slice(0, 80)} (token ${t.slice(0, 20)})`);
        assert.equal(t, prober.token);
      }),
      { numRuns: runs(0.025), seed: SEED },
    );
    assertObserverUntouched('after the upgrade fuzz');
  });

  let syncs = 0;
  /** A CANDIDATE to itself comes back once every frame before it was handled; false if the socket closed. */
  async function sync(socket: PeerJsSocket): Promise<boolean> {
    const n = ++syncs;
    if (socket.closed) return false;
    const back = new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sync ${n} did not come back`)), 8000);
      const done = (value: boolean) => {
        clearTimeout(timer);
        socket.ws.off('message', onMessage);
        socket.ws.off('close', onClose);
        resolve(value);
      };
      const onMessage = (data: unknown) => {
        if (String(data).includes(`"sync":${n}}`)) done(true);
      };
      const onClose = () => done(false);
      socket.ws.on('message', onMessage);
      socket.ws.on('close', onClose);
    });
    socket.ws.send(JSON.stringify({ type: 'CANDIDATE', dst: fuzzer.id, payload: { sync: n } }));
    return back;
  }

  it(`relays ${runs(0.025)} fuzzed PeerJS frames only inside the instance, with the sender's src`, async () => {
    const dst = fc.oneof(
      fc.constant(null).map(() => observer.id),
      fc.constant(null).map(() => fuzzer.id),
      fc.constant(null).map(() => p2pPeerJsId(otherInstanceId, randomUUID())),
      fc.string({ maxLength: 40 }),
      garbage(),
    );
    const message = fc.record(
      {
        type: fc.oneof(
          fc.constantFrom('OFFER', 'ANSWER', 'CANDIDATE', 'LEAVE', 'EXPIRE', 'HEARTBEAT', 'OPEN', 'ERROR', 'ID-TAKEN'),
          garbage(),
        ),
        dst,
        src: fc.oneof(
          fc.constant(null).map(() => observer.id),
          garbage(),
        ),
        payload: garbage(),
      },
      { requiredKeys: [] },
    );
    const frame = fc.oneof(
      { weight: 6, arbitrary: message.map((m) => JSON.stringify(m)) },
      { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
      { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
      { weight: 1, arbitrary: fc.constantFrom('x'.repeat(70 * 1024), `${'['.repeat(5000)}${']'.repeat(5000)}`) },
    );
    let reopened = 0;
    await fc.assert(
      fc.asyncProperty(frame, async (text) => {
        if (!fuzzer.socket || fuzzer.socket.closed) {
          // The server may close a socket for what it sent; the peer comes back as PeerJS would.
          if (fuzzer.socket) await eventually(() => fuzzer.socket?.closed, 'the old socket to be gone');
          fuzzer.socket = await openOk(fuzzer.id, fuzzer.token);
          reopened++;
        }
        fuzzer.socket.ws.send(text);
        await sync(fuzzer.socket);
        assertObserverUntouched(`after ${text.slice(0, 200)}`);
      }),
      { numRuns: runs(0.025), seed: SEED },
    );
    // The observer is still reachable, from its own instance.
    const socket = fuzzer.socket?.closed === false ? fuzzer.socket : await openOk(fuzzer.id, fuzzer.token);
    socket.ws.send(JSON.stringify({ type: 'CANDIDATE', dst: observer.id, payload: { last: true } }));
    await eventually(
      () => observer.socket.messages.some((m) => (m.payload as { last?: boolean })?.last === true),
      `the observer to hear the fuzzer after the fuzz (${reopened} reopened sockets)`,
    );
    assertObserverUntouched('at the end');
  });
});
