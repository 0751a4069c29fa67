/** Kicks: `POST /api/instances/:id/kick` with the admin token closes a peer's socket and refuses it until a time. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/server/index.js';
import {
  closeMessage,
  eventually,
  guest,
  handshakeAnswer,
  join,
  primusSocket,
  provision,
  provisionOk,
  request,
  start,
  type TestSocket,
} from './helpers.js';

const ADMIN = 'kick-test-admin-token';
const PEER_LEFT = 'ee.engine.network.PEER_LEFT';

function kick(server: RunningServer, instanceId: string, body: unknown, token: string | null = ADMIN) {
  return request(`${server.apiUrl}/instances/${encodeURIComponent(instanceId)}/kick`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('kicks', () => {
  let server: RunningServer;
  const sockets: TestSocket[] = [];

  before(async () => {
    server = await start({ adminToken: ADMIN });
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    await server.close();
  });

  async function room(locationId: string) {
    const victim = await guest(server, 'Victim');
    const instance = await provisionOk(server, { locationId, token: victim.accessToken });
    const target = { instanceId: instance.id, locationId };
    const kicked = await join(server, victim.accessToken, target);
    const steady = await join(server, (await guest(server, 'Steady')).accessToken, target);
    sockets.push(kicked.socket, steady.socket);
    return { victim, instance, target, kicked, steady };
  }

  it('closes the peer’s socket with KICKED, tells the others, and refuses the peer and its user until the time', async () => {
    const { victim, instance, target, kicked, steady } = await room('kick-peer');
    // The same peer in the room's media channel goes too.
    const channelId = instance.channelId!;
    const media = await provisionOk(server, { channelId, token: victim.accessToken });
    const voice = await join(server, victim.accessToken, {
      instanceId: media.id,
      channelId,
      peerID: kicked.socket.peerID,
    });
    sockets.push(voice.socket);
    const answer = await kick(server, instance.id, { peerID: kicked.socket.peerID, until: 600 });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.kicked, 2, 'the world socket and the media socket');
    await voice.socket.waitForEnd('the kicked peer’s media socket to close');
    assert.equal(closeMessage(voice.socket)?.closeReason, 'KICKED');
    const voiceAgain = await provision(server, { channelId, token: victim.accessToken });
    assert.equal(voiceAgain.status, 403, 'the media channel refuses the kicked user too');
    assert.ok(Date.parse(String(answer.body.until)) > Date.now() + 590_000);
    await kicked.socket.waitForEnd('the kicked socket to close');
    assert.equal(closeMessage(kicked.socket)?.closeReason, 'KICKED');
    await steady.socket.waitForAction(PEER_LEFT, (a) => a.peerID === kicked.socket.peerID);
    assert.equal(steady.socket.isEnded, false);

    const again = await provision(server, {
      locationId: 'kick-peer',
      token: victim.accessToken,
      instanceId: instance.id,
    });
    assert.equal(again.status, 403, 'provisioning refuses the kicked user');
    assert.match(String((again.body as unknown as { message: string }).message), /removed/);
    const elsewhere = await provision(server, { locationId: 'kick-peer', token: victim.accessToken });
    assert.equal(elsewhere.status, 200);
    assert.notEqual(elsewhere.body.id, instance.id, 'automatic placement avoids the instance the user was kicked from');

    // The same peerID with another user's token: refused at the handshake.
    const other = await guest(server, 'Other');
    const back = primusSocket(server, { ...target, peerID: kicked.socket.peerID });
    sockets.push(back);
    const refused = await handshakeAnswer(back, { accessToken: other.accessToken, peerID: back.peerID });
    assert.deepEqual(refused, { status: 'fail', error: 'USER_NOT_AUTHORIZED' });
  });

  it('kicks every socket of a user, and lets them back after `until`', async () => {
    const { victim, instance, kicked } = await room('kick-user');
    const until = new Date(Date.now() + 1500).toISOString();
    const answer = await kick(server, instance.id, { userID: victim.user.id, until });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.until, until);
    await kicked.socket.waitForEnd('the kicked user’s socket to close');
    assert.equal(closeMessage(kicked.socket)?.closeReason, 'KICKED');
    const params = { locationId: 'kick-user', token: victim.accessToken, instanceId: instance.id };
    assert.equal((await provision(server, params)).status, 403);
    await eventually(async () => (await provision(server, params)).status === 200, 'the kick to lapse', 5000);
  });

  it('answers 401/403 without the admin token, 400 for bad bodies, 404 for unknown instances', async () => {
    const { instance, kicked } = await room('kick-errors');
    const peerID = kicked.socket.peerID;
    assert.equal((await kick(server, instance.id, { peerID }, null)).status, 401);
    assert.equal((await kick(server, instance.id, { peerID }, 'wrong')).status, 403);
    for (const body of [
      {},
      { peerID: 'not-a-uuid' },
      { peerID, until: 'tomorrow' },
      { peerID, until: '2001-01-01T00:00:00Z' },
      { peerID, until: -5 },
      { peerID, until: 1.5 },
      { peerID, reason: 'extra field' },
      '{not json',
      '[]',
    ]) {
      const answer = await kick(server, instance.id, body);
      assert.equal(answer.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.code, 'BAD_REQUEST');
    }
    const unknown = await kick(server, 'no-such-instance', { peerID });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'NOT_FOUND');
    assert.equal(kicked.socket.isEnded, false, 'refused kicks touch no one');

    const noAdmin = await start();
    try {
      const refused = await kick(noAdmin, instance.id, { peerID });
      assert.equal(refused.status, 403, 'a server without an admin token refuses every kick, even in dev mode');
    } finally {
      await noAdmin.close();
    }
  });
});
