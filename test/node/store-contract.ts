/** The behaviour every Store must show; memory-store.test.ts runs it, and a Redis store will too. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { InstanceRecord, Store } from '../../src/server/index.js';
import { eventually } from './helpers.js';

export function record(overrides: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    id: randomUUID(),
    kind: 'world',
    locationId: 'lobby',
    channelId: randomUUID(),
    roomCode: String(100_000 + Math.floor(Math.random() * 800_000)).replace(/0/g, '1'),
    p2p: false,
    private: false,
    authorizedUsers: [],
    capacity: 2,
    server: '127.0.0.1:3030',
    hostPeerId: randomUUID(),
    worldInstanceId: null,
    createdAt: Date.now(),
    ...overrides,
  };
}

export function describeStoreContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`${name} (Store contract)`, () => {
    it('creates instances with unique room codes and channels, and finds them', async () => {
      const store = await makeStore();
      const world = record({ roomCode: '123456', createdBy: 'ann' });
      assert.equal(await store.createInstance(world), 'created');
      assert.equal((await store.getInstance(world.id))?.createdBy, 'ann', 'the creator is kept (instances per user)');
      assert.equal(await store.createInstance(record({ roomCode: '123456' })), 'room-code-taken');
      const media = record({ kind: 'media', channelId: world.channelId, worldInstanceId: world.id });
      assert.equal(await store.createInstance(media), 'created');
      assert.equal(await store.createInstance(record({ kind: 'media', channelId: world.channelId })), 'channel-taken');
      assert.equal((await store.findByRoomCode('123456'))?.id, world.id);
      assert.equal((await store.findMediaInstance(world.channelId))?.id, media.id);
      assert.equal((await store.findWorldInstanceByChannel(world.channelId))?.id, world.id);
      assert.deepEqual(
        (await store.listInstances({ locationId: 'lobby' })).map((r) => r.id).sort(),
        [world.id, media.id].sort(),
      );
      await store.endInstance(world.id);
      assert.equal(await store.getInstance(world.id), null);
      assert.equal(await store.findByRoomCode('123456'), null, 'an ended instance frees its room code');
      await store.close();
    });

    it('reserves seats atomically within capacity, refreshing a user’s own reservation', async () => {
      const store = await makeStore();
      const instance = record({ capacity: 3 });
      await store.createInstance(instance);
      const users = Array.from({ length: 10 }, (_, i) => `user-${i}`);
      const results = await Promise.all(users.map((u) => store.reserveSeat(instance.id, u, 3, 60_000)));
      assert.equal(results.filter(Boolean).length, 3);
      const winner = users[results.indexOf(true)]!;
      assert.equal(await store.reserveSeat(instance.id, winner, 3, 60_000), true, 'a refresh fits');
      const counts = await store.seatCounts(instance.id);
      assert.equal(counts.peers, 0);
      assert.equal(counts.reservations, 3);
      assert.ok((counts.reservationsExpireAt ?? 0) > Date.now());
      assert.equal(await store.reserveSeat('no-such-instance', 'u', 3, 1000), false);
      await store.close();
    });

    it('reserves in the fullest instance of a location with room, the user’s own first, atomically', async () => {
      const store = await makeStore();
      const location = `loc-${randomUUID()}`;
      const at = Date.now();
      const older = record({ locationId: location, capacity: 2, createdAt: at - 10 });
      const fuller = record({ locationId: location, capacity: 2, createdAt: at });
      const others = [
        record({ locationId: location, capacity: 5, private: true }),
        record({ locationId: location, capacity: 5, p2p: true }),
        record({ locationId: 'elsewhere', capacity: 5 }),
        record({ locationId: location, capacity: 5, kind: 'media' }),
      ];
      for (const r of [older, fuller, ...others]) assert.equal(await store.createInstance(r), 'created');
      assert.equal(await store.reserveSeat(fuller.id, 'seated-one', 2, 60_000), true);
      // The fullest with a free seat; public, world, this topology and this location only.
      assert.equal((await store.reserveInFullest(location, 'ann', false, 60_000))?.id, fuller.id);
      // `fuller` is now full: the next goes to the older, emptier one.
      assert.equal((await store.reserveInFullest(location, 'bob', false, 60_000))?.id, older.id);
      // Ann asks again: her own instance, though full.
      assert.equal((await store.reserveInFullest(location, 'ann', false, 60_000))?.id, fuller.id);
      assert.deepEqual(
        [(await store.seatCounts(fuller.id)).reservations, (await store.seatCounts(older.id)).reservations],
        [2, 1],
      );
      // A kick of the user rules its instance out.
      await store.addKick(older.id, { userId: 'cy', until: Date.now() + 60_000 });
      assert.equal(await store.reserveInFullest(location, 'cy', false, 60_000), null, 'no room where cy may go');
      assert.equal(
        (await store.reserveInFullest(location, 'dee', true, 60_000))?.id,
        others[1]!.id,
        'P2P asks get P2P',
      );
      // Many at once never overbook: one seat is left in `older`.
      const many = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.reserveInFullest(location, `many-${i}`, false, 60_000)),
      );
      assert.equal(many.filter((r) => r !== null).length, 1);
      assert.equal(await store.reserveInFullest('nowhere', 'ann', false, 60_000), null);
      await store.close();
    });

    it('offers a location only its own live instances, never one of another location or one ended', async () => {
      const store = await makeStore();
      const [here, there] = [`loc-${randomUUID()}`, `loc-${randomUUID()}`];
      const roomy = record({ locationId: there, capacity: 10 });
      const full = record({ locationId: here, capacity: 1 });
      for (const r of [roomy, full]) assert.equal(await store.createInstance(r), 'created');
      assert.equal(await store.reserveSeat(full.id, 'seated-one', 1, 60_000), true);
      assert.equal(await store.reserveInFullest(here, 'ann', false, 60_000), null, 'not the roomy one elsewhere');
      const ending = record({ locationId: here, capacity: 10 });
      await store.createInstance(ending);
      assert.equal((await store.reserveInFullest(here, 'bob', false, 60_000))?.id, ending.id);
      await store.endInstance(ending.id);
      assert.equal(await store.reserveInFullest(here, 'bob', false, 60_000), null, 'an ended instance is not offered');
      assert.equal((await store.reserveInFullest(there, 'bob', false, 60_000))?.id, roomy.id);
      await store.close();
    });

    it('turns a reservation into a seat, takes free seats, refuses when full, frees on release', async () => {
      const store = await makeStore();
      const instance = record({ capacity: 2 });
      await store.createInstance(instance, { userId: 'ann', ttlMs: 60_000 });
      assert.equal(await store.reserveSeat(instance.id, 'bob', 2, 60_000), true);
      assert.equal(await store.claimSeat(instance.id, 'peer-ann', 'ann', 2), 'claimed');
      assert.equal(await store.claimSeat(instance.id, 'peer-carl', 'carl', 2), 'full', 'bob’s seat is reserved');
      assert.equal(await store.claimSeat(instance.id, 'peer-bob', 'bob', 2), 'claimed');
      assert.equal(await store.claimSeat(instance.id, 'peer-ann', 'ann', 2), 'claimed', 'a seated peer keeps its seat');
      assert.equal((await store.seatCounts(instance.id)).peers, 2);
      await store.releaseSeat(instance.id, 'peer-ann');
      assert.equal(await store.claimSeat(instance.id, 'peer-carl', 'carl', 2), 'claimed');
      const seated = (await store.seatedPeers(instance.id)).sort((a, b) => a.peerId.localeCompare(b.peerId));
      assert.deepEqual(seated, [
        { peerId: 'peer-bob', userId: 'bob' },
        { peerId: 'peer-carl', userId: 'carl' },
      ]);
      assert.deepEqual(await store.seatedPeers('gone'), []);
      assert.equal(await store.claimSeat('gone', 'p', 'u', 2), 'ended');
      await store.close();
    });

    it('lets reservations expire', async () => {
      const store = await makeStore();
      const instance = record({ capacity: 1 });
      await store.createInstance(instance, { userId: 'ann', ttlMs: 50 });
      assert.equal(await store.reserveSeat(instance.id, 'bob', 1, 60_000), false);
      await eventually(
        async () => (await store.seatCounts(instance.id)).reservations === 0,
        'the reservation to lapse',
      );
      assert.equal(await store.reserveSeat(instance.id, 'bob', 1, 60_000), true);
      await store.close();
    });

    it('authorizes users on private instances', async () => {
      const store = await makeStore();
      const instance = record({ private: true, authorizedUsers: ['owner'] });
      await store.createInstance(instance);
      await store.authorizeUser(instance.id, 'friend');
      await store.authorizeUser(instance.id, 'friend');
      assert.deepEqual((await store.getInstance(instance.id))?.authorizedUsers, ['owner', 'friend']);
      await store.close();
    });

    it('keeps kicks of a peer or a user until they lapse or the instance ends', async () => {
      const store = await makeStore();
      const instance = record();
      await store.createInstance(instance);
      assert.equal(await store.kickedUntil(instance.id, { peerId: 'p1', userId: 'u1' }), null);
      const later = Date.now() + 60_000;
      await store.addKick(instance.id, { peerId: 'p1', until: later });
      await store.addKick(instance.id, { userId: 'u2', until: later + 1000 });
      await store.addKick(instance.id, { userId: 'u3', until: Date.now() + 50 });
      assert.equal(await store.kickedUntil(instance.id, { peerId: 'p1', userId: 'someone' }), later);
      assert.equal(await store.kickedUntil(instance.id, { userId: 'u2' }), later + 1000);
      assert.equal(await store.kickedUntil(instance.id, { peerId: 'p2', userId: 'u1' }), null);
      await eventually(
        async () => (await store.kickedUntil(instance.id, { userId: 'u3' })) === null,
        'a short kick to lapse',
      );
      assert.equal(await store.kickedUntil('no-such-instance', { peerId: 'p1' }), null);
      await store.endInstance(instance.id);
      assert.equal(await store.kickedUntil(instance.id, { peerId: 'p1' }), null, 'an ended instance forgets its kicks');
      await store.close();
    });

    it('gives back records as they were stored, as copies', async () => {
      const store = await makeStore();
      const world = record({ p2p: true, private: true, authorizedUsers: ['owner'], locationId: null });
      const media = record({ kind: 'media', locationId: 'hall', worldInstanceId: world.id, createdBy: 'ann' });
      await store.createInstance(world);
      await store.createInstance(media);
      assert.deepEqual(await store.getInstance(world.id), world);
      assert.deepEqual(await store.getInstance(media.id), media);
      const copy = await store.getInstance(world.id);
      copy!.authorizedUsers.push('intruder');
      assert.deepEqual(
        (await store.getInstance(world.id))?.authorizedUsers,
        ['owner'],
        'a caller’s change stays its own',
      );
      assert.deepEqual(
        (await store.listInstances({ locationId: 'hall' })).map((r) => r.id),
        [media.id],
      );
      assert.equal((await store.listInstances()).length, 2);
      await store.close();
    });

    it('lets exactly capacity of 100 concurrent claims take a seat', async () => {
      const store = await makeStore();
      const instance = record({ capacity: 10 });
      await store.createInstance(instance);
      const claims = await Promise.all(
        Array.from({ length: 100 }, (_, i) => store.claimSeat(instance.id, `peer-${i}`, `user-${i}`, 10)),
      );
      assert.equal(claims.filter((c) => c === 'claimed').length, 10);
      assert.equal(claims.filter((c) => c === 'full').length, 90);
      assert.equal((await store.seatCounts(instance.id)).peers, 10);
      await store.close();
    });

    it('never overbooks when reservations, claims and releases race', async () => {
      const store = await makeStore();
      const instance = record({ capacity: 10 });
      await store.createInstance(instance);
      const reserved = Array.from({ length: 5 }, (_, i) => `reserved-${i}`);
      for (const user of reserved) assert.equal(await store.reserveSeat(instance.id, user, 10, 60_000), true);
      const [reservedClaims, strangerClaims, newReservations] = await Promise.all([
        Promise.all(reserved.map((u) => store.claimSeat(instance.id, `peer-${u}`, u, 10))),
        Promise.all(Array.from({ length: 30 }, (_, i) => store.claimSeat(instance.id, `peer-s${i}`, `s${i}`, 10))),
        Promise.all(Array.from({ length: 30 }, (_, i) => store.reserveSeat(instance.id, `r${i}`, 10, 60_000))),
      ]);
      assert.ok(
        reservedClaims.every((c) => c === 'claimed'),
        'a reserved seat is never taken by someone else',
      );
      const taken = strangerClaims.filter((c) => c === 'claimed').length + newReservations.filter(Boolean).length;
      assert.equal(taken, 5, 'the five free seats went to strangers or new reservations, no more');
      const counts = await store.seatCounts(instance.id);
      assert.equal(counts.peers + counts.reservations, 10);
      await Promise.all(reserved.map((u) => store.releaseSeat(instance.id, `peer-${u}`)));
      const again = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.claimSeat(instance.id, `peer-t${i}`, `t${i}`, 10)),
      );
      assert.equal(again.filter((c) => c === 'claimed').length, 5, 'released seats are free again, once each');
      await store.close();
    });

    it('gives a room code and a channel to one of many concurrent creations', async () => {
      const store = await makeStore();
      const byCode = await Promise.all(
        Array.from({ length: 20 }, () => store.createInstance(record({ roomCode: '654321' }))),
      );
      assert.equal(byCode.filter((r) => r === 'created').length, 1);
      assert.equal(byCode.filter((r) => r === 'room-code-taken').length, 19);
      const channelId = randomUUID();
      const byChannel = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.createInstance(record({ kind: 'media', channelId, roomCode: String(200_000 + i) })),
        ),
      );
      assert.equal(byChannel.filter((r) => r === 'created').length, 1);
      assert.equal(byChannel.filter((r) => r === 'channel-taken').length, 19);
      assert.equal(
        await store.createInstance(record({ kind: 'world', channelId })),
        'created',
        'a world instance and a media instance may share a channel',
      );
      await store.close();
    });

    it('reserves for a user once, and not at all for one already seated', async () => {
      const store = await makeStore();
      const instance = record({ capacity: 2 });
      await store.createInstance(instance, { userId: 'ann', ttlMs: 60_000 });
      assert.equal(await store.reserveSeat(instance.id, 'ann', 2, 60_000), true);
      assert.equal((await store.seatCounts(instance.id)).reservations, 1, 'a refresh is not a second seat');
      assert.equal(await store.claimSeat(instance.id, 'peer-ann', 'ann', 2), 'claimed');
      assert.equal(await store.reserveSeat(instance.id, 'ann', 2, 60_000), true);
      assert.deepEqual(await store.seatCounts(instance.id), { peers: 1, reservations: 0, reservationsExpireAt: null });
      await store.close();
    });

    it('ends an instance without touching what a later instance took over', async () => {
      const store = await makeStore();
      const first = record({ roomCode: '777777' });
      await store.createInstance(first, { userId: 'ann', ttlMs: 60_000 });
      await store.claimSeat(first.id, 'peer-bob', 'bob', 2);
      await store.addKick(first.id, { userId: 'eve', until: Date.now() + 60_000 });
      await store.endInstance(first.id);
      const second = record({ roomCode: '777777', channelId: first.channelId });
      assert.equal(await store.createInstance(second), 'created', 'the room code and channel are free again');
      await store.endInstance(first.id);
      assert.equal((await store.findByRoomCode('777777'))?.id, second.id, 'ending twice frees nothing of another');
      assert.equal((await store.findWorldInstanceByChannel(first.channelId))?.id, second.id);
      assert.deepEqual(await store.seatCounts(first.id), { peers: 0, reservations: 0, reservationsExpireAt: null });
      await store.close();
    });

    it('ignores writes to instances that do not exist, and brings none back', async () => {
      const store = await makeStore();
      const instance = record();
      await store.createInstance(instance);
      await store.endInstance(instance.id);
      await store.authorizeUser(instance.id, 'ann');
      await store.addKick(instance.id, { peerId: 'p', until: Date.now() + 60_000 });
      await store.releaseSeat(instance.id, 'p');
      await store.endInstance('never-was');
      assert.equal(await store.reserveSeat(instance.id, 'ann', 2, 60_000), false);
      assert.equal(await store.claimSeat(instance.id, 'p', 'ann', 2), 'ended');
      assert.equal(await store.getInstance(instance.id), null);
      assert.equal(await store.kickedUntil(instance.id, { peerId: 'p' }), null);
      assert.deepEqual(await store.listInstances(), []);
      await store.close();
    });

    it('registers instance servers, keeps them while they heartbeat, and lets them lapse', async () => {
      const store = await makeStore();
      await store.registerServer({ id: 'a', address: '10.0.0.1:3030', capacity: 10, load: 2 }, 60_000);
      await store.registerServer({ id: 'b', address: '10.0.0.2:3030', capacity: 10, load: 5 }, 50);
      const live = await store.liveServers();
      assert.deepEqual(
        live.map(({ expiresAt: _, ...s }) => s),
        [
          { id: 'a', address: '10.0.0.1:3030', capacity: 10, load: 2 },
          { id: 'b', address: '10.0.0.2:3030', capacity: 10, load: 5 },
        ],
        'least loaded first',
      );
      assert.ok(live.every((s) => s.expiresAt > Date.now()));
      await eventually(async () => (await store.liveServers()).length === 1, 'b to lapse without a heartbeat');
      await store.registerServer({ id: 'b', address: '10.0.0.2:3030', capacity: 10, load: 1 }, 60_000);
      assert.deepEqual(
        (await store.liveServers()).map((s) => `${s.id}:${s.load}`),
        ['b:1', 'a:2'],
        'a heartbeat brings a server back with its new load',
      );
      await store.unregisterServer('a');
      assert.deepEqual(
        (await store.liveServers()).map((s) => s.id),
        ['b'],
      );
      await store.close();
    });

    it('allocates to the least loaded live server with room, atomically', async () => {
      const store = await makeStore();
      assert.equal(await store.allocateServer(), null, 'no server, no allocation');
      await store.registerServer({ id: 'a', address: 'a:1', capacity: 4, load: 0 }, 60_000);
      await store.registerServer({ id: 'b', address: 'b:1', capacity: 2, load: 0 }, 60_000);
      await store.registerServer({ id: 'full', address: 'c:1', capacity: 100, load: 100 }, 60_000);
      await store.registerServer({ id: 'lapsing', address: 'd:1', capacity: 100, load: 0 }, 30);
      await eventually(async () => (await store.liveServers()).length === 3, 'the short registration to lapse');
      const picks = await Promise.all(Array.from({ length: 7 }, () => store.allocateServer()));
      const count = (id: string) => picks.filter((p) => p?.id === id).length;
      assert.equal(count('a'), 4, 'a has room for four');
      assert.equal(count('b'), 2, 'b has room for two');
      assert.equal(picks.filter((p) => p === null).length, 1, 'the seventh finds no room');
      assert.deepEqual(
        (await store.liveServers()).map((s) => `${s.id}:${s.load}`),
        ['a:4', 'b:2', 'full:100'],
        'all full now: ties go by id',
      );
      await store.registerServer({ id: 'a', address: 'a:1', capacity: 4, load: 1 }, 60_000);
      const next = await store.allocateServer();
      assert.equal(next?.id, 'a', 'the heartbeat’s own count replaces the allocations');
      assert.equal(next?.load, 2);
      assert.equal(next?.address, 'a:1');
      await store.close();
    });

    it('hands each lapsed server to exactly one caller', async () => {
      const store = await makeStore();
      await store.registerServer({ id: 'x', address: 'x:1', capacity: 1, load: 0 }, 30);
      await store.registerServer({ id: 'y', address: 'y:1', capacity: 1, load: 0 }, 30);
      await store.registerServer({ id: 'z', address: 'z:1', capacity: 1, load: 0 }, 60_000);
      await eventually(async () => (await store.liveServers()).length === 1, 'x and y to lapse');
      const taken = await Promise.all(Array.from({ length: 5 }, () => store.takeLapsedServers()));
      assert.deepEqual(
        taken
          .flat()
          .map((s) => s.id)
          .sort(),
        ['x', 'y'],
      );
      assert.deepEqual(
        taken.flat().find((s) => s.id === 'x'),
        { id: 'x', address: 'x:1', capacity: 1, load: 0 },
      );
      assert.deepEqual(await store.takeLapsedServers(), []);
      assert.deepEqual(
        (await store.liveServers()).map((s) => s.id),
        ['z'],
      );
      await store.close();
    });

    it('refuses registrations no store should keep', async () => {
      const store = await makeStore();
      const good = { id: 's', address: 'h:1', capacity: 1, load: 0 };
      for (const [bad, ttl] of [
        [{ ...good, id: '' }, 1000],
        [{ ...good, address: '' }, 1000],
        [{ ...good, capacity: 0 }, 1000],
        [{ ...good, load: -1 }, 1000],
        [{ ...good, load: 0.5 }, 1000],
        [good, 0],
      ] as const) {
        await assert.rejects(store.registerServer(bad, ttl), TypeError, JSON.stringify({ bad, ttl }));
      }
      assert.deepEqual(await store.liveServers(), []);
      await store.close();
    });
  });
}
