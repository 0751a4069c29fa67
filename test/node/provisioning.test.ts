import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/server/index.js';
import { eventually, guest, instances, provision, provisionOk, start } from './helpers.js';

describe('instance-provision rules', () => {
  let server: RunningServer;
  const token = async (name = 'Guest') => (await guest(server, name)).accessToken;

  before(async () => {
    server = await start({
      config: {
        locations: {
          small: { maxUsersPerInstance: 2 },
          five: { maxUsersPerInstance: 5 },
          mesh: { maxUsersPerInstance: 4, topology: 'p2p' },
        },
      },
    });
  });
  after(() => server.close());

  it('answers the iR Engine shape plus a channelId, pointing at this server', async () => {
    const answer = await provisionOk(server, { locationId: 'shape', token: await token() });
    assert.match(answer.id, /^[0-9a-f-]{36}$/);
    assert.equal(answer.ipAddress, '127.0.0.1');
    assert.equal(answer.port, server.port);
    assert.match(answer.roomCode, /^[1-9]{6}$/);
    assert.equal(answer.p2p, false);
    assert.match(answer.channelId ?? '', /^[0-9a-f-]{36}$/);
  });

  it('puts callers in the fullest instance with a free seat, then opens a new one', async () => {
    const first = await provisionOk(server, { locationId: 'small', token: await token('a') });
    const second = await provisionOk(server, { locationId: 'small', token: await token('b') });
    assert.equal(second.id, first.id, 'the second caller shares the first instance');
    const third = await provisionOk(server, { locationId: 'small', token: await token('c') });
    assert.notEqual(third.id, first.id, 'a full instance sends the third caller to a new one');
    const summary = (await instances(server)).filter((i) => i.locationId === 'small');
    assert.deepEqual(summary.map((i) => i.seats).sort(), [1, 2]);
    assert.ok(summary.every((i) => i.capacity === 2));
  });

  it('refreshes rather than doubles the reservation of a caller who asks twice', async () => {
    const t = await token();
    const first = await provisionOk(server, { locationId: 'twice', token: t });
    const again = await provisionOk(server, { locationId: 'twice', token: t });
    assert.equal(again.id, first.id);
    const summary = (await instances(server)).find((i) => i.id === first.id);
    assert.equal(summary?.seats, 1);
  });

  it('joins a live instance by instanceId, and answers 404 for an unknown one or one of another location', async () => {
    const created = await provisionOk(server, { locationId: 'by-id', token: await token() });
    const joined = await provisionOk(server, { locationId: 'by-id', instanceId: created.id, token: await token() });
    assert.equal(joined.id, created.id);
    const unknown = await provision(server, {
      locationId: 'by-id',
      instanceId: '00000000-0000-4000-8000-000000000000',
      token: await token(),
    });
    assert.equal(unknown.status, 404);
    const elsewhere = await provision(server, { locationId: 'other', instanceId: created.id, token: await token() });
    assert.equal(elsewhere.status, 404);
  });

  it('answers 409 when the instance asked for by id is full', async () => {
    const created = await provisionOk(server, {
      locationId: 'small',
      createPrivateRoom: 'false',
      token: await token(),
    });
    const filler = await provision(server, { locationId: 'small', instanceId: created.id, token: await token() });
    const full = await provision(server, { locationId: 'small', instanceId: created.id, token: await token() });
    assert.ok(filler.status === 200 || filler.status === 409);
    assert.equal(full.status, 409);
    assert.equal((full.body as unknown as { code: string }).code, 'INSTANCE_FULL');
  });

  it('gives every live instance a unique room code of 6 digits from 1 to 9', async () => {
    const codes = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const answer = await provisionOk(server, { locationId: `codes-${i}`, token: await token() });
      assert.match(answer.roomCode, /^[1-9]{6}$/);
      codes.add(answer.roomCode);
    }
    assert.equal(codes.size, 30);
    const all = await instances(server);
    assert.equal(new Set(all.map((i) => i.roomCode)).size, all.length, 'room codes are unique among live instances');
  });

  it('joins the instance holding a room code, and makes one for a code nobody holds', async () => {
    const created = await provisionOk(server, { locationId: 'codes', token: await token() });
    const byCode = await provisionOk(server, { locationId: 'codes', roomCode: created.roomCode, token: await token() });
    assert.equal(byCode.id, created.id);
    const fresh = await provisionOk(server, { locationId: 'codes', roomCode: '987654', token: await token() });
    assert.notEqual(fresh.id, created.id);
    assert.equal(fresh.roomCode, '987654');
    const again = await provisionOk(server, { locationId: 'codes', roomCode: '987654', token: await token() });
    assert.equal(again.id, fresh.id);
  });

  it('keeps private rooms to their creator and to those who join by room code', async () => {
    const owner = await token('owner');
    const room = await provisionOk(server, { locationId: 'secret', createPrivateRoom: 'true', token: owner });
    const another = await provisionOk(server, { locationId: 'secret', createPrivateRoom: 'true', token: owner });
    assert.notEqual(another.id, room.id, 'createPrivateRoom always makes a new instance');

    const stranger = await token('stranger');
    const picked = await provisionOk(server, { locationId: 'secret', token: stranger });
    assert.ok(![room.id, another.id].includes(picked.id), 'private rooms are never chosen for others');
    const byId = await provision(server, { locationId: 'secret', instanceId: room.id, token: stranger });
    assert.equal(byId.status, 403);
    assert.equal((byId.body as unknown as { code: string }).code, 'FORBIDDEN');

    const friend = await token('friend');
    const byCode = await provisionOk(server, { locationId: 'secret', roomCode: room.roomCode, token: friend });
    assert.equal(byCode.id, room.id);
    const thenById = await provisionOk(server, { locationId: 'secret', instanceId: room.id, token: friend });
    assert.equal(thenById.id, room.id, 'joining by code authorized the friend');
    const ownerAgain = await provisionOk(server, { locationId: 'secret', instanceId: room.id, token: owner });
    assert.equal(ownerAgain.id, room.id);
    const summary = (await instances(server)).find((i) => i.id === room.id);
    assert.equal(summary?.private, true);
  });

  it('gives each channel one media instance, the world instance channel included', async () => {
    const world = await provisionOk(server, { locationId: 'with-media', token: await token() });
    assert.ok(world.channelId);
    const media = await provisionOk(server, { channelId: world.channelId, token: await token() });
    assert.notEqual(media.id, world.id);
    assert.equal(media.channelId, undefined, 'media answers carry no channelId');
    const again = await provisionOk(server, { channelId: world.channelId, token: await token() });
    assert.equal(again.id, media.id);
    const summary = (await instances(server)).find((i) => i.id === media.id);
    assert.equal(summary?.channelId, world.channelId);
    assert.equal(summary?.locationId, 'with-media');
    const adHoc = await provisionOk(server, { channelId: 'dev-channel', token: await token() });
    const adHocAgain = await provisionOk(server, { channelId: 'dev-channel', token: await token() });
    assert.equal(adHocAgain.id, adHoc.id, 'dev mode makes one instance for an unknown channel');
  });

  it('keeps the media of a private room to its authorized users', async () => {
    const owner = await token('owner');
    const room = await provisionOk(server, { locationId: 'secret-media', createPrivateRoom: 'true', token: owner });
    const denied = await provision(server, { channelId: room.channelId!, token: await token('stranger') });
    assert.equal(denied.status, 403);
    const media = await provisionOk(server, { channelId: room.channelId!, token: owner });
    const stillDenied = await provision(server, { channelId: room.channelId!, token: await token('stranger') });
    assert.equal(stillDenied.status, 403);
    assert.ok(media.id);
  });

  it('uses the capacity and topology of configured locations', async () => {
    const mesh = await provisionOk(server, { locationId: 'mesh', token: await token() });
    assert.equal(mesh.p2p, true);
    assert.equal(mesh.port, server.port, 'p2p answers still name the socket server');
    const summary = (await instances(server)).find((i) => i.id === mesh.id);
    assert.equal(summary?.capacity, 4);
    assert.equal(summary?.p2p, true);
    const dev = await provisionOk(server, { locationId: 'unconfigured', token: await token() });
    assert.equal((await instances(server)).find((i) => i.id === dev.id)?.capacity, 50);
    const hinted = await provisionOk(server, { locationId: 'hinted', topology: 'p2p', token: await token() });
    assert.equal(hinted.p2p, true, 'dev-mode locations follow the topology hint');
    const configured = await provisionOk(server, { locationId: 'five', topology: 'p2p', token: await token() });
    assert.equal(configured.p2p, false, 'a configured topology wins over the hint');
  });

  it('never puts more than 5 seats in an instance of capacity 5 under 50 concurrent requests', async () => {
    const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => token(`crowd ${i}`)));
    const answers = await Promise.all(tokens.map((t) => provisionOk(server, { locationId: 'five', token: t })));
    const summary = (await instances(server)).filter((i) => i.locationId === 'five');
    for (const instance of summary)
      assert.ok(instance.seats <= 5, `instance ${instance.id} has ${instance.seats} seats`);
    assert.equal(
      summary.reduce((sum, i) => sum + i.seats, 0),
      51,
      'every caller holds a seat (plus the one from the topology test)',
    );
    const perInstance = new Map<string, number>();
    for (const answer of answers) perInstance.set(answer.id, (perInstance.get(answer.id) ?? 0) + 1);
    assert.ok([...perInstance.values()].every((n) => n <= 5));
  });
});

describe('instance-provision outside dev mode', () => {
  let server: RunningServer;
  before(async () => {
    server = await start({ dev: false, jwtSecret: 'a-secret-for-tests-only', config: { locations: { lobby: {} } } });
  });
  after(() => server.close());

  it('answers 404 for a location the config does not name and for an unknown channel', async () => {
    const { TokenService } = await import('../../src/server/index.js');
    const token = await new TokenService('a-secret-for-tests-only').sign({ id: 'user-1', name: 'One' });
    assert.equal((await provision(server, { locationId: 'lobby', token })).status, 200);
    const unknown = await provision(server, { locationId: 'nowhere', token });
    assert.equal(unknown.status, 404);
    assert.equal((unknown.body as unknown as { code: string }).code, 'NOT_FOUND');
    assert.equal((await provision(server, { channelId: 'no-such-channel', token })).status, 404);
  });
});

describe('seat reservations', () => {
  let server: RunningServer;
  before(async () => {
    server = await start({
      reservationTtlMs: 1500,
      instanceGraceMs: 60_000,
      config: { locations: { one: { maxUsersPerInstance: 1 } } },
    });
  });
  after(() => server.close());

  it('free themselves when nobody comes', async () => {
    const [early, late] = await Promise.all([guest(server), guest(server)]);
    const first = await provisionOk(server, { locationId: 'one', token: early.accessToken });
    const refused = await provision(server, { locationId: 'one', instanceId: first.id, token: late.accessToken });
    assert.equal(refused.status, 409, 'the reserved seat is taken until it expires');
    await eventually(
      async () => (await instances(server)).find((i) => i.id === first.id)?.seats === 0,
      'the reservation to expire',
    );
    const joined = await provisionOk(server, { locationId: 'one', instanceId: first.id, token: late.accessToken });
    assert.equal(joined.id, first.id);
  });
});
