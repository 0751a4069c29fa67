/**
 * Separate API and instance-server processes when things go wrong: an instance server killed, Redis
 * restarted, and two API processes answering at once with no balancer between them.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { InstanceSummary } from '../../src/protocol/index.js';
import { kick, provisionAndJoin, serverOf, TestCluster } from './cluster-helpers.js';
import { closeMessage, eventually, guest, instances, join, provision, provisionOk } from './helpers.js';
import { redisForThisFile } from './redis-server.js';

const redis = redisForThisFile();

const clusters: TestCluster[] = [];
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.close()));
  if (!redis.running) await redis.start();
});

function cluster(options: Omit<ConstructorParameters<typeof TestCluster>[0], 'redisUrl'> = {}): TestCluster {
  const made = new TestCluster({ redisUrl: redis.url, ...options });
  clusters.push(made);
  return made;
}

function seatsOf(list: InstanceSummary[]): string {
  return list.map((x) => `${x.server} ${x.peers} peers/${x.seats} seats`).join('; ') || 'none';
}

describe('separate processes when one fails', () => {
  it('ends a SIGKILLed instance server’s instances; its clients re-provision onto the other and no seat is leaked', async () => {
    const ttl = 900;
    const c = cluster({ serverTtlMs: ttl, locations: { capped: { maxUsersPerInstance: 5 } } });
    const [api, a, b] = await Promise.all([c.api(), c.instance(), c.instance()]);
    // Ten people in instances of five: two instances, one on each server (the least loaded).
    const people = [];
    for (let i = 0; i < 10; i++) people.push(await provisionAndJoin(api.server, { locationId: 'capped' }, `p${i}`));
    const onB = people.filter((p) => p.answer.port === b.server.port);
    assert.ok(onB.length > 0 && onB.length < 10, `people on both servers (${onB.length} of 10 on b)`);

    const killedAt = Date.now();
    b.kill('SIGKILL');
    await Promise.all(onB.map((p) => p.joined.socket.waitForEnd('the killed server’s sockets to drop')));
    await eventually(
      async () => !(await instances(api.server)).some((x) => x.server === b.address),
      `the killed server’s instances to end once its registration lapsed (TTL ${ttl} ms)`,
      ttl * 15,
    );
    const endedAfter = Date.now() - killedAt;

    // As the kit does after a lost server: provision again (same location) and join where it says.
    const back = await Promise.all(
      onB.map(async (p) => {
        const answer = await provisionOk(api.server, { locationId: 'capped', token: p.token });
        assert.equal(answer.port, a.server.port, 'a re-provisioned client lands on the live server');
        return join(serverOf(answer), p.token, { instanceId: answer.id, locationId: 'capped' });
      }),
    );
    const listed = await instances(api.server);
    assert.equal(
      listed.reduce((sum, x) => sum + x.peers, 0),
      10,
      `all ten seated again: ${seatsOf(listed)}`,
    );
    assert.ok(
      listed.every((x) => x.seats === x.peers && x.peers <= 5 && x.server === a.address),
      `every seat is a joined peer's, none over 5, all on the live server: ${seatsOf(listed)}`,
    );
    assert.ok(endedAfter < ttl * 15, `ended ${endedAfter} ms after the kill`);
    for (const p of [...people, ...back.map((joined) => ({ joined }))]) p.joined.socket.close();
  });

  it('provisions again once Redis is back, without restarting any process', async () => {
    const ttl = 900;
    const c = cluster({ serverTtlMs: ttl });
    const [api, instance] = await Promise.all([c.api(), c.instance()]);
    const before = await provisionAndJoin(api.server, { locationId: 'lobby' }, 'Ann');
    const { accessToken, user } = await guest(api.server, 'Bob');

    await redis.stop();
    const down = await provision(api.server, { locationId: 'lobby', token: accessToken });
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.equal((down.body as unknown as { code: string }).code, 'STORE_UNAVAILABLE');
    assert.ok(!before.joined.socket.isEnded, 'a joined peer keeps its socket while Redis is away');

    await redis.start();
    // The restarted Redis is empty: provisioning works once the instance server registered again.
    const answer = await eventually(
      async () => {
        const again = await provision(api.server, { locationId: 'lobby', token: accessToken });
        return again.status === 200 ? again.body : undefined;
      },
      'provisioning to answer 200 after Redis came back',
      20_000,
    );
    assert.equal(answer.port, instance.server.port);
    const bob = await join(serverOf(answer), accessToken, { instanceId: answer.id, locationId: 'lobby' });
    // Pub/sub came back too: a kick at the API reaches the instance server.
    await eventually(
      async () =>
        (await kick(api.server, answer.id, { userID: user.id, until: 60 })).status === 200 && bob.socket.isEnded,
      'a kick after the restart to close the socket on the instance server',
      10_000,
    );
    assert.equal(closeMessage(bob.socket)?.closeReason, 'KICKED');
    before.joined.socket.close();
  });

  it('two API processes called alternately hand out unique room codes and never overbook', async () => {
    const c = cluster({ locations: { capped: { maxUsersPerInstance: 5 } } });
    const [apiA, apiB] = await Promise.all([c.api(), c.api(), c.instance(), c.instance()]);
    const apis = [apiA.server, apiB.server];
    const users = await Promise.all(Array.from({ length: 40 }, (_, i) => guest(apis[i % 2]!, `u${i}`)));

    const rooms = await Promise.all(
      users.map((u, i) =>
        provisionOk(apis[i % 2]!, { locationId: 'private', createPrivateRoom: 'true', token: u.accessToken }),
      ),
    );
    const codes = new Set(rooms.map((r) => r.roomCode));
    assert.equal(codes.size, rooms.length, `40 private rooms, 40 room codes: ${[...codes].join(' ')}`);

    // Seats are only reserved (nobody joins): each reservation must fit in its instance.
    const seats = await Promise.all(
      users.map((u, i) => provisionOk(apis[(i + 1) % 2]!, { locationId: 'capped', token: u.accessToken })),
    );
    const capped = (await instances(apiA.server)).filter((x) => x.locationId === 'capped');
    assert.ok(
      capped.every((x) => x.seats <= 5),
      `no instance over its 5 seats: ${seatsOf(capped)}`,
    );
    assert.equal(
      capped.reduce((sum, x) => sum + x.seats, 0),
      40,
      `one seat per person: ${seatsOf(capped)}`,
    );
    assert.equal(new Set(seats.map((s) => s.id)).size, capped.length, 'every instance handed out is listed');
    const listedB = await instances(apiB.server);
    assert.equal(listedB.length, capped.length + rooms.length, 'both APIs see the same instances');
  });
});
