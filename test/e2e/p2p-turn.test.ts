// End to end: P2P data relayed through Debian's coturn on loopback, with the time-limited REST
// credentials the server mints (--turn-secret / --turn-url), and the clear error a wrong password gives.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { E2eEnvironment, type E2ePage, uniqueLocation } from './harness.js';

const TURNSERVER = '/usr/bin/turnserver';
const SECRET = randomBytes(16).toString('hex');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once the TURN server answers a STUN binding request on `port`. */
async function stunReady(port: number, timeoutMs = 10_000): Promise<void> {
  const socket = createSocket('udp4');
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0);
  request.writeUInt32BE(0x2112a442, 4);
  randomBytes(12).copy(request, 8);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`turnserver did not answer STUN in ${timeoutMs} ms`)), timeoutMs);
      const interval = setInterval(() => socket.send(request, port, '127.0.0.1'), 100);
      socket.on('message', (message) => {
        if (message.readUInt16BE(0) !== 0x0101) return;
        clearTimeout(timer);
        clearInterval(interval);
        resolve();
      });
      socket.send(request, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

/** Runs in the page before its scripts: every RTCPeerConnection relays only, and is kept for inspection. */
function relayOnly(): void {
  const Native = window.RTCPeerConnection;
  const all: RTCPeerConnection[] = [];
  (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = all;
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super({ ...config, iceTransportPolicy: 'relay' });
      all.push(this);
    }
  } as typeof RTCPeerConnection;
}

describe('P2P through coturn', { skip: existsSync(TURNSERVER) ? false : `${TURNSERVER} is not installed` }, () => {
  let env: E2eEnvironment;
  let turn: ChildProcess;
  let turnPort: number;
  let turnDir: string;

  before(async () => {
    turnPort = await freePort();
    turnDir = await mkdtemp(join(tmpdir(), 'ir-rooms-turn-'));
    const minPort = 40_000 + Math.floor(Math.random() * 90) * 100;
    turn = spawn(
      TURNSERVER,
      [
        '-n',
        '--listening-ip=127.0.0.1',
        '--relay-ip=127.0.0.1',
        `--listening-port=${turnPort}`,
        '--use-auth-secret',
        `--static-auth-secret=${SECRET}`,
        '--realm=ir-rooms.test',
        '--no-tls',
        '--no-dtls',
        '--no-tcp-relay',
        '--allow-loopback-peers',
        '--no-cli',
        `--min-port=${minPort}`,
        `--max-port=${minPort + 99}`,
        '--fingerprint',
        `--pidfile=${join(turnDir, 'turnserver.pid')}`,
        `--db=${join(turnDir, 'turndb')}`,
        '--log-file=stdout',
        '--simple-log',
      ],
      { stdio: 'ignore' },
    );
    await stunReady(turnPort);
    env = await E2eEnvironment.start(undefined, {
      turnSecret: SECRET,
      turnUrls: [`turn:127.0.0.1:${turnPort}?transport=udp`],
      turnTtlSeconds: 600,
    });
  });

  after(async () => {
    await env?.close();
    if (turn && turn.exitCode === null) {
      const exited = new Promise((resolve) => turn.once('exit', resolve));
      turn.kill('SIGTERM');
      await exited;
    }
    if (turnDir) await rm(turnDir, { recursive: true, force: true });
  });

  async function joinPair(extra: (page: E2ePage) => Promise<void> = async () => undefined) {
    const location = uniqueLocation('p2p-turn');
    const pages: E2ePage[] = [];
    for (let i = 0; i < 2; i++) {
      const page = await env.openPage(undefined, { initScript: relayOnly });
      pages.push(page);
      await extra(page);
    }
    return { location, pages };
  }

  it('relays data between two pages with the REST credentials of the provisioning answer', async (t) => {
    t.after(() => env.closePages());
    const { location, pages } = await joinPair();
    const [first, second] = pages as [E2ePage, E2ePage];
    const attributes = { 'location-id': location, 'api-url': env.server.apiUrl, topology: 'p2p' };
    await first.addWorld('world', attributes);
    await first.waitForState('world', 'connected');
    await second.addWorld('world', attributes);
    const b = await second.waitForState('world', 'connected');
    await first.waitForEvent('world', 'ir-peer-join', { peerID: b.selfPeerID });

    await first.page.evaluate(async () => {
      const world = window.__irE2e?.elements.get('world') as HTMLElement & { send(d: unknown): Promise<void> };
      await world.send('via turn');
    });
    const message = await second.waitForEvent('world', 'ir-message');
    assert.equal(message.detail.data, 'via turn');

    // Stats may trail the connection state a little: read them until they show the relay (10 s at most).
    let pcs: { username: string | undefined; policy: string | undefined; relayed: boolean }[] = [];
    for (const deadline = Date.now() + 10_000; ; ) {
      pcs = await second.page.evaluate(async () => {
        const out: { username: string | undefined; policy: string | undefined; relayed: boolean }[] = [];
        for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
          if (pc.connectionState !== 'connected') continue;
          const stats = await pc.getStats();
          let relayed = false;
          stats.forEach((report: { type: string; state?: string; localCandidateId?: string }) => {
            if (report.type !== 'candidate-pair' || report.state !== 'succeeded') return;
            const local = stats.get(report.localCandidateId ?? '') as { candidateType?: string } | undefined;
            if (local?.candidateType === 'relay') relayed = true;
          });
          const config = pc.getConfiguration();
          out.push({ username: config.iceServers?.[0]?.username, policy: config.iceTransportPolicy, relayed });
        }
        return out;
      });
      if ((pcs.length > 0 && pcs.every((pc) => pc.relayed)) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(pcs.length > 0, 'the page has connected peer connections');
    for (const pc of pcs) {
      assert.equal(pc.policy, 'relay');
      assert.ok(pc.relayed, 'the connection runs over a relay candidate');
      assert.match(pc.username ?? '', /^\d+:[^:]+$/, 'the ICE server carries a REST username (expiry:user)');
    }
  });

  it('a wrong TURN password makes the join time out (TIMEOUT) instead of hanging', async (t) => {
    t.after(() => env.closePages());
    const channel = uniqueLocation('p2p-turn-wrong');
    const { pages } = await joinPair();
    const [first, second] = pages as [E2ePage, E2ePage];
    await first.addMediaChannel('media', { 'channel-id': channel, 'api-url': env.server.apiUrl, topology: 'p2p' });
    await first.waitForState('media', 'connected');
    // <ir-rooms-provider iceServers> overrides the answer's ICE servers: here with a wrong password.
    await second.page.evaluate((turnPort) => {
      window.__irE2e ??= { elements: new Map(), events: new Map() };
      const provider = document.createElement('ir-rooms-provider') as HTMLElement & { iceServers: RTCIceServer[] };
      provider.iceServers = [
        { urls: [`turn:127.0.0.1:${turnPort}?transport=udp`], username: '4102444800:mallory', credential: 'wrong' },
      ];
      document.body.append(provider);
      window.__irE2e.elements.set('provider', provider);
    }, turnPort);
    await second.addMediaChannel(
      'media',
      { 'channel-id': channel, 'api-url': env.server.apiUrl, topology: 'p2p' },
      'provider',
    );
    // The connection retries a timed-out join: the state says why (the IrError's code).
    try {
      await second.page.waitForFunction(
        () =>
          window.__irE2e?.events
            .get('media')
            ?.some((event) => event.type === 'ir-state-change' && event.detail.reason === 'TIMEOUT'),
        undefined,
        { timeout: 30_000, polling: 100 },
      );
    } catch (error) {
      throw new Error(`no TIMEOUT state change\n${await second.describe('media')}`, { cause: error });
    }
    const snapshot = await second.mediaSnapshot('media');
    assert.notEqual(snapshot.state, 'connected', 'no relay, no connection');
  });
});
