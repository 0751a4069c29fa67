import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import type { RunningServer, ServerOptions } from '../../src/server/index.js';
import {
  announcedServer,
  eventually,
  guest,
  instances,
  join,
  provision,
  provisionOk,
  runCli,
  start,
  UNLIMITED,
} from './helpers.js';
import { redisForThisFile } from './redis-server.js';

const redis = redisForThisFile();

const servers: RunningServer[] = [];
afterEach(() => Promise.all(servers.splice(0).map((server) => server.close())));

const JWT_SECRET = 'a-secret-shared-by-every-server';

async function serve(options: ServerOptions): Promise<RunningServer> {
  const server = await start({ ...UNLIMITED, redis: redis.url, jwtSecret: JWT_SECRET, ...options });
  servers.push(server);
  return server;
}

describe('instance servers on one Redis', () => {
  it('puts each new instance on the least loaded live server, up to each one’s --max-instances', async () => {
    const shared = { redisPrefix: `test:${randomUUID()}:`, maxInstances: 3 };
    const [a, b] = [await serve(shared), await serve(shared)];
    const { accessToken } = await guest(a);
    const made = [];
    for (let i = 0; i < 6; i++) {
      made.push(
        await provisionOk(i % 2 ? b : a, { locationId: 'lobby', createPrivateRoom: 'true', token: accessToken }),
      );
    }
    const ports = made.map((m) => m.port);
    assert.equal(ports.filter((p) => p === a.port).length, 3, `three on a (ports ${ports.join(', ')})`);
    assert.equal(ports.filter((p) => p === b.port).length, 3, 'three on b');
    const refused = await provision(a, { locationId: 'lobby', createPrivateRoom: 'true', token: accessToken });
    assert.equal(refused.status, 503);
    assert.equal((refused.body as unknown as { code: string }).code, 'NO_CAPACITY');
    const listed = await instances(b);
    const count = (port: number) => listed.filter((i) => i.server === `127.0.0.1:${port}`).length;
    assert.deepEqual([count(a.port), count(b.port)], [3, 3], 'both servers list the same six instances');
    // The server an instance was allocated to hosts it, whichever server made it.
    const onB = made.find((m) => m.port === b.port)!;
    const peer = await join(b, accessToken, { instanceId: onB.id, locationId: 'lobby' });
    peer.socket.close();
  });

  it('seats 40 concurrent joins to a location of 5 seats in 8 or more instances over both servers', async () => {
    const shared = {
      redisPrefix: `test:${randomUUID()}:`,
      config: { locations: { capped: { maxUsersPerInstance: 5 } } },
    };
    const pair = [await serve(shared), await serve(shared)];
    const users = await Promise.all(Array.from({ length: 40 }, (_, i) => guest(pair[i % 2]!, `user-${i}`)));
    const joined = await Promise.all(
      users.map(async ({ accessToken }, i) => {
        const answer = await provisionOk(pair[i % 2]!, { locationId: 'capped', token: accessToken });
        const host = pair.find((s) => s.port === answer.port)!;
        return join(host, accessToken, { instanceId: answer.id, locationId: 'capped' });
      }),
    );
    const listed = await instances(pair[0]!);
    assert.ok(listed.length >= 8, `at least 8 instances, not ${listed.length}`);
    assert.ok(
      listed.every((i) => i.peers <= 5 && i.seats <= 5),
      `none over 5: ${listed.map((i) => i.peers).join(', ')}`,
    );
    assert.equal(
      listed.reduce((sum, i) => sum + i.peers, 0),
      40,
      'everyone is seated',
    );
    for (const server of pair) {
      assert.ok(
        listed.some((i) => i.server === `127.0.0.1:${server.port}`),
        `some instances on the server at port ${server.port}`,
      );
    }
    for (const peer of joined) peer.socket.close();
  });

  it('sends P2P clients to the PeerServer of the server hosting their instance', async () => {
    const shared = { redisPrefix: `test:${randomUUID()}:` };
    const [a, b] = [await serve(shared), await serve(shared)];
    const { accessToken } = await guest(a);
    const answers = [];
    for (let i = 0; i < 2; i++) {
      const query = { locationId: `p2p-${i}`, topology: 'p2p', token: accessToken };
      answers.push((await provision(a, query)).body as unknown as { port: number; peerServer: { port: number } });
    }
    assert.deepEqual(answers.map((x) => x.port).sort(), [a.port, b.port].sort(), 'one on each server');
    for (const answer of answers) assert.equal(answer.peerServer.port, answer.port);
  });

  it('ends the instances of a server that stops heartbeating, and allocates no more to it', async () => {
    const prefix = `test:${randomUUID()}:`;
    const ttl = 600;
    const a = await serve({ redisPrefix: prefix, serverTtlMs: ttl });
    const b = runCli([
      'serve',
      '--dev',
      '--port',
      '0',
      '--log-level',
      'silent',
      '--jwt-secret',
      JWT_SECRET,
      '--redis',
      redis.url,
      '--redis-prefix',
      prefix,
      '--server-ttl-ms',
      String(ttl),
    ]);
    try {
      const bServer = await announcedServer(b);
      const bAddress = new URL(bServer.url).host;
      const { accessToken } = await guest(a);
      const made = [
        await provisionOk(a, { locationId: 'lobby', createPrivateRoom: 'true', token: accessToken }),
        await provisionOk(a, { locationId: 'lobby', createPrivateRoom: 'true', token: accessToken }),
      ];
      const onB = made.find((m) => `127.0.0.1:${m.port}` === bAddress);
      assert.ok(onB, `one of the two instances went to the other process (${made.map((m) => m.port).join(', ')})`);
      b.child.kill('SIGKILL');
      await eventually(
        async () => !(await instances(a)).some((i) => i.server === bAddress),
        'the killed server’s instances to end once its registration lapsed',
        ttl * 15,
      );
      for (let i = 0; i < 3; i++) {
        const next = await provisionOk(a, { locationId: 'lobby', createPrivateRoom: 'true', token: accessToken });
        assert.equal(next.port, a.port, 'new instances go to the live server only');
      }
    } finally {
      b.child.kill('SIGKILL');
    }
  });
});
