/**
 * The server's limits: requests per address (X-Forwarded-For only with trustProxy) and per user,
 * missed room-code and instance-id guesses per address, instances per user, and seats under
 * concurrent provisioning.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { RunningServer, ServerOptions } from '../../src/server/index.js';
import {
  type Answer,
  guest,
  handshakeAnswer,
  instances,
  provision,
  provisionOk,
  rawSocket,
  request,
  start,
  type TestSocket,
} from './helpers.js';

function assertRateLimited(answer: Answer<unknown>, label: string): void {
  const body = answer.body as Record<string, unknown>;
  assert.equal(answer.status, 429, `${label}: ${answer.status} ${JSON.stringify(body)}`);
  assert.equal(body.code, 'RATE_LIMITED', label);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/, label);
  const retryAfter = Number(answer.headers.get('retry-after'));
  assert.ok(retryAfter >= 1, `${label}: Retry-After ${answer.headers.get('retry-after')}`);
  assert.equal(body.retryAfter, retryAfter, label);
}

function provisionFrom(server: RunningServer, params: Record<string, string>, forwardedFor?: string) {
  return request(`${server.apiUrl}/instance-provision?${new URLSearchParams(params)}`, {
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  });
}

describe('server limits', () => {
  const servers: RunningServer[] = [];
  const sockets: TestSocket[] = [];
  async function server(options: ServerOptions): Promise<RunningServer> {
    const s = await start(options);
    servers.push(s);
    return s;
  }
  after(async () => {
    for (const socket of sockets) socket.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  it('limits requests per address, ignoring X-Forwarded-For unless trustProxy is on', async () => {
    const direct = await server({ rateLimit: { max: 3, windowMs: 60_000 } });
    const { accessToken: token } = await guest(direct);
    for (let i = 0; i < 2; i++) {
      const answer = await provisionFrom(direct, { locationId: 'lobby', token }, `10.0.0.${i}`);
      assert.equal(answer.status, 200);
    }
    assertRateLimited(
      await provisionFrom(direct, { locationId: 'lobby', token }, '10.0.0.9'),
      'a forged X-Forwarded-For does not escape the limit',
    );
    assertRateLimited(
      await request(`${direct.apiUrl}/authentication`, { method: 'POST', body: '{}' }),
      'guest logins share the limit',
    );

    const proxied = await server({ rateLimit: { max: 1, windowMs: 60_000 }, trustProxy: true });
    const other = (await guest(proxied)).accessToken;
    assert.equal((await provisionFrom(proxied, { locationId: 'lobby', token: other }, '203.0.113.7')).status, 200);
    assertRateLimited(
      await provisionFrom(proxied, { locationId: 'lobby', token: other }, 'forged, 203.0.113.7'),
      'the same client behind the proxy (its last X-Forwarded-For entry)',
    );
    const elsewhere = await provisionFrom(proxied, { locationId: 'lobby', token: other }, '203.0.113.8');
    assert.equal(elsewhere.status, 200, 'another client behind the proxy has its own count');
  });

  it('limits provisioning per user (token subject), apart from other users', async () => {
    const s = await server({ userRateLimit: { max: 2, windowMs: 60_000 } });
    const ann = (await guest(s, 'Ann')).accessToken;
    const bob = (await guest(s, 'Bob')).accessToken;
    await provisionOk(s, { locationId: 'lobby', token: ann });
    await provisionOk(s, { locationId: 'lobby', token: ann });
    assertRateLimited(await provision(s, { locationId: 'lobby', token: ann }), 'Ann’s third request');
    await provisionOk(s, { locationId: 'lobby', token: bob });
  });

  it('limits missed room codes and instance ids per address, more tightly', async () => {
    const s = await server({ guessRateLimit: { max: 3, windowMs: 60_000 }, trustProxy: true });
    const { accessToken: token } = await guest(s);
    const live = await provisionOk(s, { locationId: 'lobby', token, createPrivateRoom: 'true' });
    const misses = [
      await provisionFrom(s, { locationId: 'lobby', token, instanceId: 'no-such-instance' }, '198.51.100.1'),
      await provisionFrom(s, { locationId: 'lobby', token, roomCode: '999999' }, '198.51.100.1'),
      await provisionFrom(s, { locationId: 'lobby', token, roomCode: '999998' }, '198.51.100.1'),
    ];
    assert.deepEqual(
      misses.map((m) => m.status),
      [404, 200, 200],
      'an unknown id is 404; an unheld code makes a room',
    );
    assertRateLimited(
      await provisionFrom(s, { locationId: 'lobby', token, roomCode: live.roomCode }, '198.51.100.1'),
      'even the right code, once the misses are used up',
    );
    const fine = await provisionFrom(s, { locationId: 'lobby', token, roomCode: live.roomCode }, '198.51.100.2');
    assert.equal(fine.status, 200, 'another address may still join by code');
    assert.equal(fine.body.id, live.id);

    // A socket for an unknown instance is no miss: after a restart every client comes back with one.
    const sock = await server({ guessRateLimit: { max: 1, windowMs: 60_000 } });
    const sockToken = (await guest(sock)).accessToken;
    const room = await provisionOk(sock, { locationId: 'lobby', token: sockToken });
    for (const instanceId of ['ghost-1', 'ghost-2']) {
      const socket = rawSocket(sock, { instanceId, locationId: 'lobby' });
      sockets.push(socket);
      await socket.waitFor((m) => (m as { instanceReady?: boolean }).instanceReady === false, `refused: ${instanceId}`);
    }
    await provisionOk(sock, { locationId: 'lobby', token: sockToken, instanceId: room.id });
  });

  it('counts wrong invite codes for a private instance as misses', async () => {
    const s = await server({ guessRateLimit: { max: 2, windowMs: 60_000 } });
    const owner = (await guest(s, 'Owner')).accessToken;
    const room = await provisionOk(s, { locationId: 'lobby', token: owner, createPrivateRoom: 'true' });
    const stranger = (await guest(s, 'Stranger')).accessToken;
    const target = { instanceId: room.id, locationId: 'lobby' };
    for (const inviteCode of ['111111', '111112']) {
      const socket = rawSocket(s, target);
      sockets.push(socket);
      const answer = await handshakeAnswer(socket, { accessToken: stranger, peerID: socket.peerID, inviteCode });
      assert.equal(answer.error, 'USER_NOT_AUTHORIZED');
    }
    const right = rawSocket(s, target);
    sockets.push(right);
    const refused = await handshakeAnswer(right, {
      accessToken: stranger,
      peerID: right.peerID,
      inviteCode: room.roomCode,
    });
    assert.equal(refused.error, 'USER_NOT_AUTHORIZED', 'past the limit even the right invite code is not read');
    const owned = rawSocket(s, target);
    sockets.push(owned);
    const welcome = await handshakeAnswer(owned, { accessToken: owner, peerID: owned.peerID });
    assert.equal(welcome.status, 'success', 'sockets that need no invite code are not refused');
    owned.close();
    const byCode = await provision(s, { locationId: 'lobby', token: stranger, roomCode: room.roomCode });
    assertRateLimited(byCode, 'provisioning by room code shares the misses');
  });

  it('limits the live instances one user makes', async () => {
    const s = await server({ maxInstancesPerUser: 2 });
    const { accessToken: token } = await guest(s);
    await provisionOk(s, { locationId: 'one', token, createPrivateRoom: 'true' });
    await provisionOk(s, { locationId: 'two', token, createPrivateRoom: 'true' });
    assertRateLimited(await provision(s, { locationId: 'three', token, createPrivateRoom: 'true' }), 'a third');
    const other = (await guest(s)).accessToken;
    await provisionOk(s, { locationId: 'three', token: other, createPrivateRoom: 'true' });
  });

  it('keeps every instance within its capacity under 100 simultaneous provisioning requests', async () => {
    const s = await server({
      config: { locations: { crowd: { maxUsersPerInstance: 10 } } },
      rateLimit: { max: 1000, windowMs: 60_000 },
    });
    const tokens = await Promise.all(Array.from({ length: 100 }, (_, i) => guest(s, `P${i}`)));
    const answers = await Promise.all(
      tokens.map(({ accessToken }) => provision(s, { locationId: 'crowd', token: accessToken })),
    );
    assert.deepEqual(
      answers.filter((a) => a.status !== 200).map((a) => a.body),
      [],
      'every request gets a seat',
    );
    const crowd = (await instances(s)).filter((i) => i.locationId === 'crowd');
    for (const instance of crowd)
      assert.ok(instance.seats <= 10, `instance ${instance.id} has ${instance.seats} seats`);
    assert.equal(
      crowd.reduce((sum, i) => sum + i.seats, 0),
      100,
    );
    assert.equal(crowd.length, 10, 'fullest-first packing fills ten instances');

    // The same instance asked for by id: nine seats left, thirty takers.
    const room = await provisionOk(s, { locationId: 'crowd', token: (await guest(s)).accessToken, roomCode: '987654' });
    const takers = await Promise.all(Array.from({ length: 30 }, () => guest(s)));
    const joins = await Promise.all(
      takers.map(({ accessToken }) => provision(s, { locationId: 'crowd', token: accessToken, instanceId: room.id })),
    );
    assert.equal(joins.filter((a) => a.status === 200).length, 9);
    assert.ok(joins.every((a) => a.status === 200 || (a.body as unknown as { code: string }).code === 'INSTANCE_FULL'));
    const after = (await instances(s)).find((i) => i.id === room.id);
    assert.equal(after?.seats, 10);
  });
});
