/**
 * Resuming a peer whose socket dropped (PROTOCOL.md §4): the server holds it for a grace period with
 * its seat, presence and media; a new socket with the same peerID and user takes it over; a clean
 * leave is announced at once; a lapsed hold is a departure.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HealthAnswer } from '../../src/protocol/index.js';
import type { RunningServer } from '../../src/server/index.js';
import {
  eventually,
  guest,
  handshakeAnswer,
  instances,
  join,
  primusSocket,
  provisionOk,
  request,
  start,
  type TestSocket,
  UNLIMITED,
} from './helpers.js';
import { opusProducer, SfuPeer } from './sfu-peer.js';

const PEER_LEFT = 'ee.engine.network.PEER_LEFT';
const PEER_JOINED = 'ee.engine.network.PEER_JOINED';
const M = 'ee.engine.network.mediasoup.';

describe('resuming a dropped socket', () => {
  let server: RunningServer;
  const sockets: TestSocket[] = [];
  const health = async () => (await request<HealthAnswer>(`${server.apiUrl}/health`)).body;

  before(async () => {
    server = await start({ ...UNLIMITED, resumeGraceMs: 1500 });
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    await server.close();
  });

  async function room(locationId: string) {
    const ann = await guest(server, 'Ann');
    const bob = await guest(server, 'Bob');
    const instance = await provisionOk(server, { locationId, token: ann.accessToken });
    const target = { instanceId: instance.id, locationId };
    const a = await join(server, ann.accessToken, target);
    const b = await join(server, bob.accessToken, target);
    sockets.push(a.socket, b.socket);
    return { ann, bob, instance, target, a, b };
  }

  function resume(target: { instanceId: string; locationId: string }, peerID: string, token: string) {
    const socket = primusSocket(server, { ...target, peerID });
    sockets.push(socket);
    return { socket, answer: handshakeAnswer(socket, { accessToken: token, peerID, resume: true }) };
  }

  it('holds a dropped peer, then hands it to the socket that resumes it: same peerIndex, no PEER_LEFT, and what it missed follows', async () => {
    const { ann, target, a, b } = await room('resume-ok');
    assert.equal(a.success.resumeGraceMs, 1500, 'the success says how long a dropped peer is held');
    a.socket.drop();
    await eventually(async () => (await health()).heldPeers === 1, 'the server to hold A');
    // Written while A is held: kept for it.
    b.socket.write([{ type: 'test.HELLO', $to: 'all', n: 1 }]);
    const again = resume(target, a.socket.peerID, ann.accessToken);
    const answer = await again.answer;
    assert.equal(answer.status, 'success');
    assert.equal(answer.resumed, true);
    assert.equal(answer.peerIndex, a.success.peerIndex, 'the same peerIndex');
    const presence = (answer.cachedActions as { type: string; peerID: string }[]).filter((x) => x.type === PEER_JOINED);
    assert.deepEqual(presence.map((x) => x.peerID).sort(), [a.socket.peerID, b.socket.peerID].sort());
    await again.socket.waitFor(
      (m) => Array.isArray(m) && m.some((x) => (x as { type?: string }).type === 'test.HELLO'),
      'the action B sent while A was held',
    );
    again.socket.startHeartbeat();
    // Live again: B's next action reaches the new socket; the others never saw A leave.
    b.socket.write([{ type: 'test.HELLO', $to: 'all', n: 2 }]);
    await again.socket.waitFor(
      (m) => Array.isArray(m) && m.some((x) => (x as { n?: number }).n === 2),
      'a live action after the resume',
    );
    assert.equal((await health()).heldPeers, 0);
    assert.ok(
      !b.socket.messages.some((m) => Array.isArray(m) && m.some((x) => (x as { type?: string }).type === PEER_LEFT)),
    );
    assert.ok(
      !b.socket.messages.some(
        (m) =>
          Array.isArray(m) &&
          m.some(
            (x) =>
              (x as { type?: string; peerID?: string }).type === PEER_JOINED &&
              (x as { peerID?: string }).peerID === a.socket.peerID,
          ),
      ),
      'no second PEER_JOINED either',
    );
  });

  it('a clean leave is announced at once; a hold that lapses is a departure, and a later resume is refused', async () => {
    const { ann, target, a, b, instance } = await room('resume-lapse');
    const started = Date.now();
    b.socket.close();
    await a.socket.waitForAction(PEER_LEFT, (x) => x.peerID === b.socket.peerID);
    assert.ok(Date.now() - started < 1500, 'a leave is not held');
    a.socket.drop();
    await eventually(async () => (await health()).heldPeers === 1, 'the server to hold A');
    await eventually(async () => (await health()).heldPeers === 0, 'the hold to lapse', 5000);
    await eventually(
      async () => (await instances(server)).find((i) => i.id === instance.id)?.peers === 0,
      "the lapsed peer's seat to be freed",
    );
    const late = resume(target, a.socket.peerID, ann.accessToken);
    assert.deepEqual(await late.answer, { status: 'fail', error: 'NOT_RESUMABLE' });
    await late.socket.waitForEnd('the refused socket to close');
  });

  it('another user can neither resume nor take over a peerID', async () => {
    const { target, a, b } = await room('resume-thief');
    const mallory = await guest(server, 'Mallory');
    a.socket.drop();
    await eventually(async () => (await health()).heldPeers === 1, 'the server to hold A');
    const stolen = resume(target, a.socket.peerID, mallory.accessToken);
    assert.deepEqual(await stolen.answer, { status: 'fail', error: 'NOT_RESUMABLE' });
    const fresh = primusSocket(server, { ...target, peerID: a.socket.peerID });
    sockets.push(fresh);
    const answer = await handshakeAnswer(fresh, { accessToken: mallory.accessToken, peerID: a.socket.peerID });
    assert.deepEqual(answer, { status: 'fail', error: 'USER_NOT_AUTHORIZED' });
    assert.equal((await health()).heldPeers, 1, 'A is still held');
    assert.ok(
      !b.socket.messages.some((m) => Array.isArray(m) && m.some((x) => (x as { type?: string }).type === PEER_LEFT)),
    );
  });

  it('a leave by beacon (POST /api/instances/:id/leave) ends a held peer at once, only with its own user’s token', async () => {
    const { ann, bob, instance, a, b } = await room('resume-beacon');
    // Earlier tests' held peers lapse on their own (1.5 s).
    await eventually(async () => (await health()).heldPeers === 0, 'no peer held before', 5000);
    a.socket.drop();
    await eventually(async () => (await health()).heldPeers === 1, 'the server to hold A');
    const leave = (body: unknown) =>
      request(`${server.apiUrl}/instances/${instance.id}/leave`, {
        method: 'POST',
        // As navigator.sendBeacon sends a string.
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    assert.equal((await leave({ peerID: a.socket.peerID, token: bob.accessToken })).status, 204);
    assert.equal((await health()).heldPeers, 1, "another user's token changes nothing");
    assert.equal((await leave({ peerID: a.socket.peerID })).status, 400);
    assert.equal((await leave('not json')).status, 400);
    assert.equal((await leave({ peerID: a.socket.peerID, token: 'x.y.z' })).status, 401);
    assert.equal((await leave({ peerID: a.socket.peerID, token: ann.accessToken })).status, 204);
    await b.socket.waitForAction(PEER_LEFT, (x) => x.peerID === a.socket.peerID);
    assert.equal((await health()).heldPeers, 0);
    // A joined peer (not held) leaves too: its socket closes and the others see it go.
    const c = await join(server, ann.accessToken, { instanceId: instance.id, locationId: 'resume-beacon' });
    sockets.push(c.socket);
    assert.equal((await leave({ peerID: c.socket.peerID, token: ann.accessToken })).status, 204);
    await c.socket.waitForEnd("the leaving peer's socket to close");
    await b.socket.waitForAction(PEER_LEFT, (x) => x.peerID === c.socket.peerID);
  });

  it('keeps a held SFU peer’s transports and producers, and closes them when the hold lapses', async () => {
    const { ann, target, a } = await room('resume-media');
    const peer = new SfuPeer(a);
    const send = await peer.transport('send');
    await peer.request(opusProducer(send.id, 4242), [`${M}MEDIA_PRODUCER_CREATED`]);
    const made = await health();
    assert.deepEqual([made.transports, made.producers], [1, 1]);
    a.socket.drop();
    await eventually(async () => (await health()).heldPeers === 1, 'the server to hold A');
    const again = resume(target, a.socket.peerID, ann.accessToken);
    const answer = await again.answer;
    assert.equal(answer.resumed, true);
    const kept = await health();
    assert.deepEqual([kept.transports, kept.producers], [1, 1], 'the resumed peer keeps its media');
    const cached = answer.cachedActions as { type: string; peerID?: string }[];
    assert.ok(cached.some((x) => x.type === `${M}MEDIA_PRODUCER_CREATED` && x.peerID === a.socket.peerID));
    again.socket.drop();
    await eventually(
      async () => {
        const h = await health();
        return h.heldPeers === 0 && h.transports === 0 && h.producers === 0;
      },
      'the lapsed hold to close the media',
      5000,
    );
    await peer.close();
  });
});
