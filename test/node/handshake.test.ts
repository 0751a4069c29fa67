import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/server/index.js';
import {
  closeMessage,
  eventually,
  guest,
  handshakeAnswer,
  instances,
  join,
  primusSocket,
  provisionOk,
  start,
  type TestSocket,
} from './helpers.js';

const PEER_JOINED = 'ee.engine.network.PEER_JOINED';
const PEER_LEFT = 'ee.engine.network.PEER_LEFT';

describe('instance socket handshake', () => {
  let server: RunningServer;
  const sockets: TestSocket[] = [];
  const track = <T extends { socket: TestSocket }>(joined: T): T => {
    sockets.push(joined.socket);
    return joined;
  };

  before(async () => {
    server = await start({ config: { locations: { pair: { maxUsersPerInstance: 2 } } } });
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    await server.close();
  });

  it('answers instanceReady, pending, then success with the host fields', async () => {
    const { accessToken } = await guest(server, 'Ann');
    const instance = await provisionOk(server, { locationId: 'hello', token: accessToken });
    const socket = primusSocket(server, { instanceId: instance.id, locationId: 'hello' });
    sockets.push(socket);
    const answer = await handshakeAnswer(socket, { accessToken, peerID: socket.peerID });
    assert.deepEqual(socket.messages[0], { instanceReady: true });
    assert.ok(
      socket.messages.some((m) => (m as { status?: string }).status === 'pending'),
      'a pending answer came first',
    );
    assert.equal(answer.status, 'success');
    const caps = answer.routerRtpCapabilities as { codecs: { mimeType: string }[] };
    assert.deepEqual(
      caps.codecs.map((c) => c.mimeType),
      ['audio/opus', 'video/VP8', 'video/rtx', 'video/H264', 'video/rtx'],
    );
    assert.equal(answer.peerIndex, 1);
    assert.deepEqual(answer.cachedActions, []);
    assert.match(String(answer.hostPeerID), /^[0-9a-f-]{36}$/);
    assert.notEqual(answer.hostPeerID, socket.peerID);
  });

  it('announces PEER_JOINED and PEER_LEFT to the others and replays presence to late joiners', async () => {
    const ann = await guest(server, 'Ann', 'https://example.com/ann.png');
    const bob = await guest(server, 'Bob');
    const instance = await provisionOk(server, { locationId: 'presence', token: ann.accessToken });
    const target = { instanceId: instance.id, locationId: 'presence' };
    const first = track(await join(server, ann.accessToken, target));
    const second = track(await join(server, bob.accessToken, target));
    assert.ok(second.success.peerIndex > first.success.peerIndex, 'peer indexes increase');

    const replayed = second.success.cachedActions.find((a) => a.type === PEER_JOINED);
    assert.equal(replayed?.peerID, first.socket.peerID);
    assert.equal(replayed?.userID, ann.user.id);
    assert.equal(replayed?.name, 'Ann');
    assert.equal(replayed?.avatarUrl, 'https://example.com/ann.png');
    assert.equal(replayed?.peerIndex, first.success.peerIndex);
    assert.equal(replayed?.$peer, first.success.hostPeerID);
    assert.equal(replayed?.$network, instance.id);

    const joined = await first.socket.waitForAction(PEER_JOINED, (a) => a.peerID === second.socket.peerID);
    assert.equal(joined.name, 'Bob');
    assert.equal(joined.userID, bob.user.id);
    assert.equal(joined.peerIndex, second.success.peerIndex);
    assert.equal(
      second.socket.hasAction(PEER_JOINED, (a) => a.peerID === second.socket.peerID),
      false,
    );

    second.socket.close();
    const left = await first.socket.waitForAction(PEER_LEFT, (a) => a.peerID === second.socket.peerID);
    assert.equal(left.userID, bob.user.id);

    const carol = await guest(server, 'Carol');
    const late = track(await join(server, carol.accessToken, target));
    const presence = late.success.cachedActions.filter((a) => a.type === PEER_JOINED || a.type === PEER_LEFT);
    assert.deepEqual(
      presence.map((a) => a.peerID),
      [first.socket.peerID],
      'the cache holds who is here, not the history',
    );
  });

  it('overwrites $peer, routes by $to, and replays $cache actions', async () => {
    const [a, b, c] = await Promise.all([guest(server, 'A'), guest(server, 'B'), guest(server, 'C')]);
    const instance = await provisionOk(server, { locationId: 'routing', token: a.accessToken });
    const target = { instanceId: instance.id, locationId: 'routing' };
    const pa = track(await join(server, a.accessToken, target));
    const pb = track(await join(server, b.accessToken, target));
    const pc = track(await join(server, c.accessToken, target));

    pa.socket.write([{ type: 'app.hello', $peer: pb.socket.peerID, $to: 'all', text: 'hi', $cache: true }]);
    for (const peer of [pb, pc]) {
      const hello = await peer.socket.waitForAction('app.hello');
      assert.equal(hello.$peer, pa.socket.peerID, 'no one speaks for another peer');
      assert.equal(hello.text, 'hi');
    }
    pa.socket.write([{ type: 'app.direct', $to: pc.socket.peerID }]);
    pa.socket.write([{ type: 'app.list', $to: [pb.socket.peerID, 'nobody'] }]);
    pa.socket.write([{ type: 'app.to-host', $to: pa.success.hostPeerID }]);
    pa.socket.write([{ type: 'app.marker', $to: 'all' }]);
    await pb.socket.waitForAction('app.list');
    await pc.socket.waitForAction('app.direct');
    await pb.socket.waitForAction('app.marker');
    await pc.socket.waitForAction('app.marker');
    assert.equal(pb.socket.hasAction('app.direct'), false, 'a direct action reaches only its addressee');
    assert.equal(pc.socket.hasAction('app.list'), false);
    assert.equal(pb.socket.hasAction('app.to-host') || pc.socket.hasAction('app.to-host'), false);
    assert.equal(pa.socket.hasAction('app.hello'), false, 'the sender does not get its own action back');

    pb.socket.write([{ type: 'ee.engine.network.PEER_LEFT', peerID: pa.socket.peerID, $to: 'all' }]);
    pb.socket.write([{ type: 'app.after-spoof', $to: 'all' }]);
    await pc.socket.waitForAction('app.after-spoof');
    assert.equal(
      pc.socket.hasAction(PEER_LEFT, (x) => x.peerID === pa.socket.peerID),
      false,
      'presence is the host’s',
    );

    const d = await guest(server, 'D');
    const late = track(await join(server, d.accessToken, target));
    const cached = late.success.cachedActions.find((x) => x.type === 'app.hello');
    assert.equal(cached?.$peer, pa.socket.peerID);
    pa.socket.close();
    await pb.socket.waitForAction(PEER_LEFT, (x) => x.peerID === pa.socket.peerID);
    const e = await guest(server, 'E');
    const later = track(await join(server, e.accessToken, target));
    assert.equal(
      later.success.cachedActions.some((x) => x.$peer === pa.socket.peerID || x.peerID === pa.socket.peerID),
      false,
      'a departed peer’s cached actions leave with it',
    );
  });

  it('writes fail answers, then closes: missing token, bad token, not authorized, full', async () => {
    const owner = await guest(server, 'Owner');
    const room = await provisionOk(server, { locationId: 'pair', createPrivateRoom: 'true', token: owner.accessToken });
    const target = { instanceId: room.id, locationId: 'pair' };
    const cases: [Record<string, unknown>, string][] = [
      [{ accessToken: '' }, 'MISSING_ACCESS_TOKEN'],
      [{ accessToken: 'not-a-jwt' }, 'USER_NOT_AUTHORIZED'],
      [{ accessToken: (await guest(server, 'Stranger')).accessToken }, 'USER_NOT_AUTHORIZED'],
    ];
    for (const [message, error] of cases) {
      const socket = primusSocket(server, target);
      sockets.push(socket);
      const answer = await handshakeAnswer(socket, { ...message, peerID: socket.peerID });
      assert.deepEqual(answer, { status: 'fail', error });
      await socket.waitForEnd(`close after ${error}`);
    }

    const friend = await guest(server, 'Friend');
    const invited = primusSocket(server, target);
    sockets.push(invited);
    const ok = await handshakeAnswer(invited, {
      accessToken: friend.accessToken,
      peerID: invited.peerID,
      inviteCode: room.roomCode,
    });
    assert.equal(ok.status, 'success', 'the room code lets a friend into a private room');

    track(await join(server, owner.accessToken, target));
    const third = await guest(server, 'Third');
    const full = primusSocket(server, target);
    sockets.push(full);
    const answer = await handshakeAnswer(full, {
      accessToken: third.accessToken,
      peerID: full.peerID,
      inviteCode: room.roomCode,
    });
    assert.deepEqual(answer, { status: 'fail', error: 'INSTANCE_FULL' });
    await full.waitForEnd('close after INSTANCE_FULL');
  });

  it('says instanceReady false for an unknown instance or a mismatched location, then closes', async () => {
    for (const target of [
      { instanceId: 'no-such-instance', locationId: 'hello' },
      {
        instanceId: (await provisionOk(server, { locationId: 'real', token: (await guest(server)).accessToken })).id,
        locationId: 'fake',
      },
    ]) {
      const socket = primusSocket(server, target);
      sockets.push(socket);
      await socket.waitFor((m) => (m as { instanceReady?: boolean }).instanceReady === false, 'instanceReady false');
      await socket.waitForEnd('close after instanceReady false');
      assert.equal(closeMessage(socket)?.closeReason, 'INSTANCE_ENDED');
    }
  });

  it('joins a media instance by its channel, sharing the peerID of the world instance', async () => {
    const ann = await guest(server, 'Ann');
    const world = await provisionOk(server, { locationId: 'with-media', token: ann.accessToken });
    const media = await provisionOk(server, { channelId: world.channelId!, token: ann.accessToken });
    const inWorld = track(await join(server, ann.accessToken, { instanceId: world.id, locationId: 'with-media' }));
    const inMedia = track(
      await join(server, ann.accessToken, {
        instanceId: media.id,
        channelId: world.channelId!,
        peerID: inWorld.socket.peerID,
      }),
    );
    assert.notEqual(inMedia.success.hostPeerID, inWorld.success.hostPeerID);
    const bob = await guest(server, 'Bob');
    const other = track(await join(server, bob.accessToken, { instanceId: media.id, channelId: world.channelId! }));
    const seen = other.success.cachedActions.find((a) => a.type === PEER_JOINED);
    assert.equal(seen?.peerID, inWorld.socket.peerID);
    assert.equal(seen?.$topic, 'media');
    const wrongKind = primusSocket(server, { instanceId: media.id, locationId: 'with-media' });
    sockets.push(wrongKind);
    await wrongKind.waitFor((m) => (m as { instanceReady?: boolean }).instanceReady === false, 'instanceReady false');
  });

  it('frees the seat once no socket of the peer is left, even when the last one fails its handshake', async () => {
    const [ann, bob] = await Promise.all([guest(server, 'Ann'), guest(server, 'Bob')]);
    const instance = await provisionOk(server, { locationId: 'seat-leak', token: ann.accessToken });
    const target = { instanceId: instance.id, locationId: 'seat-leak' };
    const watcher = track(await join(server, bob.accessToken, target));
    const first = track(await join(server, ann.accessToken, target));
    const second = primusSocket(server, { ...target, peerID: first.socket.peerID });
    sockets.push(second);
    await second.waitFor((m) => (m as { instanceReady?: boolean }).instanceReady === true, 'instanceReady');
    first.socket.close();
    await watcher.socket.waitForAction(PEER_LEFT, (a) => a.peerID === first.socket.peerID);
    const answer = await handshakeAnswer(second, { accessToken: 'not-a-jwt', peerID: second.peerID });
    assert.equal(answer.status, 'fail');
    await eventually(async () => {
      const summary = (await instances(server)).find((i) => i.id === instance.id);
      return summary?.seats === 1 && summary.peers === 1;
    }, 'only the watcher to hold a seat');
  });

  it('replaces the socket of a peerID that joins again, without a PEER_LEFT', async () => {
    const [a, b] = await Promise.all([guest(server, 'A'), guest(server, 'B')]);
    const instance = await provisionOk(server, { locationId: 'replace', token: a.accessToken });
    const target = { instanceId: instance.id, locationId: 'replace' };
    const watcher = track(await join(server, b.accessToken, target));
    const first = track(await join(server, a.accessToken, target));
    const second = track(await join(server, a.accessToken, { ...target, peerID: first.socket.peerID }));
    await first.socket.waitForEnd('the replaced socket to close');
    assert.equal(closeMessage(first.socket)?.closeReason, 'REPLACED');
    await watcher.socket.waitForAction(PEER_JOINED, (x) => x.peerIndex === second.success.peerIndex);
    assert.equal(watcher.socket.hasAction(PEER_LEFT), false);
    const response = await fetch(`${server.apiUrl}/instances`);
    const summary = ((await response.json()) as { id: string; peers: number }[]).find((i) => i.id === instance.id);
    assert.equal(summary?.peers, 2, 'the seat moved to the new socket');
  });
});
