/**
 * WebSocket upgrades (/primus and the PeerJS socket) honour `--cors-origin` for browser origins,
 * and a P2P answer's `peerServer.secure` follows the request's scheme (X-Forwarded-Proto only
 * with trustProxy).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { RunningServer } from '../../src/server/index.js';
import { guest, request, start } from './helpers.js';

const ALLOWED = 'https://cms.example';
const REFUSED = 'https://elsewhere.example';

/** 'open', or the status and body of a refused upgrade. */
function upgrade(url: string, origin?: string): Promise<{ outcome: 'open' } | { status: number; body: string }> {
  const ws = new WebSocket(url, origin === undefined ? {} : { origin });
  return new Promise((resolve, reject) => {
    ws.on('open', () => {
      ws.terminate();
      resolve({ outcome: 'open' });
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', reject);
  });
}

describe('WebSocket upgrades and --cors-origin', () => {
  let server: RunningServer;
  before(async () => {
    server = await start({ corsOrigins: [ALLOWED] });
  });
  after(() => server.close());

  const primus = () =>
    `${server.url.replace('http', 'ws')}/primus?peerID=${randomUUID()}&instanceID=x&token=x&locationId=x`;
  const peerjs = () => `${server.url.replace('http', 'ws')}/peerjs/peerjs?key=peerjs&id=${randomUUID()}&token=x`;

  it('refuses a browser origin that is not listed with 403, on /primus and on /peerjs', async () => {
    for (const url of [primus(), peerjs()]) {
      const answer = await upgrade(url, REFUSED);
      assert.ok('status' in answer, `${url}: the upgrade was accepted`);
      assert.equal(answer.status, 403, url);
      // The same JSON error body as every other refusal, on both paths.
      assert.deepEqual(
        JSON.parse(answer.body),
        { status: 403, code: 'FORBIDDEN', message: 'this origin may not open sockets (see --cors-origin)' },
        url,
      );
    }
  });

  it('lets listed origins and clients without an Origin header through', async () => {
    assert.deepEqual(await upgrade(primus(), ALLOWED), { outcome: 'open' });
    assert.deepEqual(await upgrade(primus()), { outcome: 'open' });
    // The PeerServer refuses this made-up id for its own reasons, not for the origin.
    const peer = await upgrade(peerjs(), ALLOWED);
    assert.ok(!('body' in peer) || !/--cors-origin/.test(peer.body), JSON.stringify(peer));
  });

  it('lets any origin through with the default *', async () => {
    const open = await start();
    try {
      const url = `${open.url.replace('http', 'ws')}/primus?peerID=${randomUUID()}&instanceID=x&token=x&locationId=x`;
      assert.deepEqual(await upgrade(url, REFUSED), { outcome: 'open' });
    } finally {
      await open.close();
    }
  });
});

describe('peerServer.secure in P2P answers', () => {
  const servers: RunningServer[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  async function secureFlag(trustProxy: boolean, headers: Record<string, string>): Promise<unknown> {
    const server = await start({ trustProxy });
    servers.push(server);
    const { accessToken } = await guest(server);
    const params = new URLSearchParams({ locationId: 'mesh', topology: 'p2p', token: accessToken });
    const answer = await request<{ peerServer?: { secure: boolean } }>(
      `${server.apiUrl}/instance-provision?${params}`,
      { headers },
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.peerServer?.secure;
  }

  it('follows X-Forwarded-Proto behind a trusted proxy, and ignores it otherwise', async () => {
    assert.equal(await secureFlag(false, {}), false);
    assert.equal(
      await secureFlag(false, { 'x-forwarded-proto': 'https' }),
      false,
      'an untrusted header changes nothing',
    );
    assert.equal(await secureFlag(true, { 'x-forwarded-proto': 'https' }), true);
    assert.equal(await secureFlag(true, { 'x-forwarded-proto': 'http' }), false);
  });
});
