import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import type { RunningServer, ServerOptions } from '../../src/server/index.js';
import {
  announcedServer,
  closeMessage,
  eventually,
  guest,
  instances,
  join,
  primusSocket,
  provision,
  provisionOk,
  request,
  runCli,
  start,
  UNLIMITED,
} from './helpers.js';
import { redisForThisFile } from './redis-server.js';

const redis = redisForThisFile();

const servers: RunningServer[] = [];
afterEach(() => Promise.all(servers.splice(0).map((server) => server.close())));

async function serve(options: ServerOptions): Promise<RunningServer> {
  const server = await start({ ...UNLIMITED, redis: redis.url, ...options });
  servers.push(server);
  return server;
}

describe('the server with --redis', () => {
  it('keeps its state in Redis, so two servers on one Redis share instances and room codes', async () => {
    const shared = { redisPrefix: `test:${randomUUID()}:`, jwtSecret: 'a-secret-shared-by-both-servers' };
    const [a, b] = [await serve(shared), await serve(shared)];
    const { accessToken } = await guest(a, 'Ann');
    const made = await provisionOk(a, { locationId: 'lobby', token: accessToken });
    const found = await provisionOk(b, { locationId: 'lobby', roomCode: made.roomCode, token: accessToken });
    assert.equal(found.id, made.id, 'the second server finds the instance by its room code');
    assert.equal(found.port, made.port, 'and sends the client to the server that hosts it');
    assert.deepEqual(
      (await instances(b)).map((i) => i.id),
      [made.id],
    );
    const [host, other] = made.port === a.port ? [a, b] : [b, a];
    const joined = await join(host, accessToken, { instanceId: made.id, locationId: 'lobby' });
    await eventually(
      async () => (await instances(other))[0]?.peers === 1,
      'the joined peer to show on the other server',
    );
    joined.socket.close();
  });

  it('ends the instances a server hosts when it closes, and no other server’s', async () => {
    const shared = { redisPrefix: `test:${randomUUID()}:`, jwtSecret: 'a-secret-shared-by-both-servers' };
    const [a, b] = [await serve(shared), await serve(shared)];
    const { accessToken } = await guest(a);
    // New instances go to the least loaded server: one each.
    const first = await provisionOk(a, { locationId: 'here', token: accessToken });
    const second = await provisionOk(a, { locationId: 'here', createPrivateRoom: 'true', token: accessToken });
    assert.notEqual(first.port, second.port, 'one instance on each server');
    const [onA, onB] = first.port === a.port ? [first, second] : [second, first];
    const peer = await join(a, accessToken, { instanceId: onA.id, locationId: 'here' });
    await a.close();
    await peer.socket.waitForEnd('the socket on the closed server to end');
    assert.deepEqual(
      (await instances(b)).map((i) => i.id),
      [onB.id],
      'the closed server’s instance is gone from Redis, with its room code and seat',
    );
    // a unregistered as it closed: new instances go to b.
    const after = await provisionOk(b, { locationId: 'here', roomCode: onA.roomCode, token: accessToken });
    assert.notEqual(after.id, onA.id, 'its room code no longer leads to it');
    assert.equal(after.port, b.port);
  });

  it('answers 503 STORE_UNAVAILABLE while Redis is down and provisions again once it is back', async () => {
    const server = await serve({ redisPrefix: `test:${randomUUID()}:` });
    const { accessToken } = await guest(server);
    const before = await provisionOk(server, { locationId: 'lobby', token: accessToken });
    const target = { instanceId: before.id, locationId: 'lobby' };
    const [ann, bob] = [await join(server, accessToken, target), await join(server, accessToken, target)];
    await redis.stop();
    try {
      ann.socket.write([{ type: 'app.hello', $to: 'all', text: 'still here' }]);
      const hello = await bob.socket.waitForAction('app.hello');
      assert.equal(hello.text, 'still here', 'joined peers keep talking: their actions never touch Redis');
      const late = primusSocket(server, target);
      const refusal = await late.waitFor<{ error?: string }>(
        (m) => (m as { status?: string }).status === 'fail',
        'a new socket to be refused while the store is down',
      );
      assert.equal(refusal.error, 'INTERNAL_ERROR');
      late.close();
      const refused = await provision(server, { locationId: 'lobby', token: accessToken });
      assert.equal(refused.status, 503);
      assert.deepEqual(refused.body, {
        status: 503,
        code: 'STORE_UNAVAILABLE',
        message: 'the server cannot reach its shared state; try again shortly',
        retryAfter: 1,
      });
      assert.equal(refused.headers.get('retry-after'), '1');
      const health = await request(`${server.apiUrl}/health`);
      assert.equal(health.status, 503, 'the health check tells the orchestrator');
    } finally {
      await redis.start();
    }
    const again = await eventually(async () => {
      const answer = await provision(server, { locationId: 'lobby', token: accessToken });
      return answer.status === 200 ? answer.body : undefined;
    }, 'provisioning to work again after Redis restarted');
    const joined = await join(server, accessToken, { instanceId: again.id, locationId: 'lobby' });
    assert.equal(closeMessage(ann.socket), undefined, 'the outage closed no joined socket');
    for (const each of [ann, bob, joined]) each.socket.close();
  });

  it('serves from the CLI with --redis and --redis-prefix', async () => {
    const prefix = `test:${randomUUID()}:`;
    const r = runCli([
      'serve',
      '--dev',
      '--port',
      '0',
      '--log-level',
      'warn',
      '--redis',
      redis.url,
      '--redis-prefix',
      prefix,
    ]);
    try {
      const server = await announcedServer(r);
      const { accessToken } = await guest(server);
      const made = await provisionOk(server, { locationId: 'lobby', token: accessToken });
      assert.equal((await instances(server))[0]?.id, made.id);
      r.child.kill('SIGTERM');
      assert.equal(await r.exit, 0, r.stderr());
    } finally {
      r.child.kill('SIGKILL');
    }
  });
});
