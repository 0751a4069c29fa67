/**
 * Insertion → connected + first data at a peer, in Chromium on loopback: how long from the moment
 * a page inserts `<ir-world-instance>` until a page already in the room receives a message the new
 * page sent once `connected` (provisioning, the socket handshake, transports and data channels all
 * included), for an SFU and a P2P room. The anchor does the least that can carry the same message:
 * two raw RTCPeerConnections signaled through a tiny `ws` relay in Node, measured from the moment
 * the new page opens its relay socket until the other page receives the message on a data channel.
 *
 * Rounds alternate ours (SFU), ours (P2P), the anchor, so drift hits all three. Prints one JSON
 * line: the samples (ms) and their medians. `node --import tsx bench/join-latency.ts --rounds 10`
 * (needs `npm run build`: the pages load dist/).
 */
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';
import { E2eEnvironment, type E2ePage, uniqueLocation } from '../test/e2e/harness.js';
import { forkBuiltServer } from './built-server.js';
import { median } from './stats.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '10' } } });
const rounds = Number(values.rounds);

/** The relay: two roles, `a` (calls) and `b` (answers); each message goes to the other role. */
function startRelay(): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  const peers = new Map<string, import('ws').WebSocket>();
  wss.on('connection', (socket, req) => {
    const role = new URL(req.url ?? '/', 'http://x').searchParams.get('role') ?? 'a';
    peers.set(role, socket);
    socket.on('message', (data) => peers.get(role === 'a' ? 'b' : 'a')?.send(data.toString()));
  });
  return new Promise((resolve) =>
    wss.on('listening', () =>
      resolve({
        url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
        close: () => new Promise<void>((done) => wss.close(() => done())),
      }),
    ),
  );
}

/** Where our time goes: insertion → provisioned → connected → the message at the peer (ms). */
interface Phases {
  provision: number;
  join: number;
  firstData: number;
}

const phases: Record<'sfu' | 'p2p', Phases[]> = { sfu: [], p2p: [] };

/** Our elements: B is in the room; A inserts its element and sends once connected. */
async function ours(a: E2ePage, b: E2ePage, topology: 'sfu' | 'p2p', key: string): Promise<number> {
  const locationId = uniqueLocation(`latency-${topology}`);
  await b.addWorld(key, { 'location-id': locationId, topology, headless: true });
  await b.waitForState(key, 'connected');
  const inserted = await a.page.evaluate(
    ({ key, locationId, topology }) => {
      const element = document.createElement('ir-world-instance') as HTMLElement & {
        send(data: unknown): Promise<void>;
      };
      element.setAttribute('location-id', locationId);
      element.setAttribute('topology', topology);
      element.setAttribute('headless', '');
      const times = { provisioned: 0, connected: 0 };
      (window as unknown as { __times: typeof times }).__times = times;
      element.addEventListener('ir-instance-provisioned', () => {
        times.provisioned = Date.now();
      });
      element.addEventListener('ir-state-change', (event) => {
        if ((event as CustomEvent<{ state: string }>).detail.state !== 'connected') return;
        times.connected = Date.now();
        void element.send('first');
      });
      window.__irE2e ??= { elements: new Map(), events: new Map() };
      window.__irE2e.elements.set(key, element);
      const at = Date.now();
      document.body.append(element);
      return at;
    },
    { key, locationId, topology },
  );
  const message = await b.waitForEvent(key, 'ir-message');
  const latency = message.at - inserted;
  if (!key.startsWith('warm')) {
    const times = await a.page.evaluate(
      () => (window as unknown as { __times: { provisioned: number; connected: number } }).__times,
    );
    phases[topology].push({
      provision: times.provisioned - inserted,
      join: times.connected - times.provisioned,
      firstData: message.at - times.connected,
    });
  }
  await a.removeElement(key);
  await b.removeElement(key);
  return latency;
}

/** The anchor: raw RTCPeerConnections, offer/answer and trickled candidates through the relay. */
async function anchor(a: E2ePage, b: E2ePage, relayUrl: string): Promise<number> {
  const setUp = (page: E2ePage, role: 'a' | 'b') =>
    page.page.evaluate(
      ({ relayUrl, role }) =>
        new Promise<void>((ready) => {
          const state = { started: 0, received: 0 };
          (window as unknown as { __anchor: typeof state }).__anchor = state;
          const socket = new WebSocket(`${relayUrl}/?role=${role}`);
          const pc = new RTCPeerConnection({ iceServers: [] });
          const early: RTCIceCandidateInit[] = [];
          const send = (message: unknown) => socket.send(JSON.stringify(message));
          pc.onicecandidate = (event) => event.candidate && send({ candidate: event.candidate.toJSON() });
          socket.onmessage = async (event) => {
            const message = JSON.parse(String(event.data)) as {
              description?: RTCSessionDescriptionInit;
              candidate?: RTCIceCandidateInit;
            };
            if (message.description) {
              await pc.setRemoteDescription(message.description);
              if (message.description.type === 'offer') {
                await pc.setLocalDescription(await pc.createAnswer());
                send({ description: pc.localDescription?.toJSON() });
              }
              for (const candidate of early.splice(0)) await pc.addIceCandidate(candidate);
            } else if (message.candidate) {
              if (pc.remoteDescription) await pc.addIceCandidate(message.candidate);
              else early.push(message.candidate);
            }
          };
          if (role === 'b') {
            pc.ondatachannel = (event) => {
              event.channel.onmessage = () => {
                state.received = Date.now();
                pc.close();
                socket.close();
              };
            };
            socket.onopen = () => ready();
            return;
          }
          state.started = Date.now();
          const channel = pc.createDataChannel('data');
          channel.onopen = () => {
            channel.send('first');
            setTimeout(() => {
              pc.close();
              socket.close();
            }, 100);
          };
          socket.onopen = async () => {
            await pc.setLocalDescription(await pc.createOffer());
            send({ description: pc.localDescription?.toJSON() });
            ready();
          };
        }),
      { relayUrl, role },
    );
  await setUp(b, 'b');
  await setUp(a, 'a');
  const read = (page: E2ePage) =>
    page.page.evaluate(() => (window as unknown as { __anchor: { started: number; received: number } }).__anchor);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const received = (await read(b)).received;
    if (received > 0) return received - (await read(a)).started;
    if (Date.now() > deadline) throw new Error('the anchor message did not arrive in 10 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const env = await E2eEnvironment.start(undefined, { maxInstancesPerUser: 10_000 }, forkBuiltServer);
const relay = await startRelay();
try {
  const a = await env.openPage();
  const b = await env.openPage();
  // tsx names the functions it compiles with a helper the page lacks; the anchor's code has some.
  for (const page of [a, b]) await page.page.evaluate('window.__name = (fn) => fn');
  // A first round of each, not counted: the lazy chunks load, the browser warms up.
  await ours(a, b, 'sfu', 'warm-sfu');
  await ours(a, b, 'p2p', 'warm-p2p');
  await anchor(a, b, relay.url);
  const samples = { sfu: [] as number[], p2p: [] as number[], anchor: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    samples.sfu.push(await ours(a, b, 'sfu', `sfu-${round}`));
    samples.p2p.push(await ours(a, b, 'p2p', `p2p-${round}`));
    samples.anchor.push(await anchor(a, b, relay.url));
  }
  console.log(
    JSON.stringify({
      rounds,
      samples,
      median: { sfu: median(samples.sfu), p2p: median(samples.p2p), anchor: median(samples.anchor) },
      // Medians of each phase of ours, for where the time goes.
      phases: Object.fromEntries(
        (['sfu', 'p2p'] as const).map((topology) => [
          topology,
          {
            provision: median(phases[topology].map((p) => p.provision)),
            join: median(phases[topology].map((p) => p.join)),
            firstData: median(phases[topology].map((p) => p.firstData)),
          },
        ]),
      ),
    }),
  );
} finally {
  await relay.close();
  await env.close();
}
