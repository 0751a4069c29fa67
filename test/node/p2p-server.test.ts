import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { p2pPeerJsId, parseP2pPeerJsId } from '../../src/protocol/p2p.js';
import type { RunningServer } from '../../src/server/index.js';
import { guest, join, primusSocket, provisionOk, request, start, type TestSocket, TIMEOUT_MS } from './helpers.js';

interface PeerSocket {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  waitFor(type: string, label: string): Promise<Record<string, unknown>>;
}

/** Opens the PeerServer socket as PeerJS does; rejects with the HTTP status when the upgrade is refused. */
function peerSocket(server: RunningServer, params: { id: string; token: string; key?: string }): Promise<PeerSocket> {
  const query = new URLSearchParams({ key: params.key ?? 'peerjs', id: params.id, token: params.token });
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/peerjs/peerjs?${query}`);
  const messages: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as Record<string, unknown>);
    for (const listener of [...listeners]) listener();
  });
  const socket: PeerSocket = {
    ws,
    messages,
    waitFor: (type, label) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${label}; got ${JSON.stringify(messages)}`));
        }, TIMEOUT_MS);
        const check = () => {
          const found = messages.find((m) => m.type === type);
          if (!found) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(found);
        };
        listeners.add(check);
        check();
      }),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(socket));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('PeerServer at /peerjs', () => {
  let server: RunningServer;
  const sockets: TestSocket[] = [];
  const peers: WebSocket[] = [];

  before(async () => {
    server = await start({ config: { locations: { sfu: { topology: 'sfu' } } } });
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    for (const ws of peers) ws.terminate();
    await server.close();
  });

  /** A guest joined to a P2P instance of `locationId` through the instance socket. */
  async function joinP2p(locationId: string, name: string) {
    const { accessToken, user } = await guest(server, name);
    const instance = await provisionOk(server, { locationId, token: accessToken, topology: 'p2p' });
    const joined = await join(server, accessToken, { instanceId: instance.id, locationId });
    sockets.push(joined.socket);
    return { token: accessToken, user, instance, peerID: joined.socket.peerID };
  }

  async function open(params: { id: string; token: string; key?: string }) {
    const socket = await peerSocket(server, params);
    peers.push(socket.ws);
    return socket;
  }

  it('answers its info document over HTTP', async () => {
    const answer = await request(`${server.url}/peerjs/`);
    assert.equal(answer.status, 200);
    assert.equal((answer.body as { name?: string }).name, 'PeerJS Server');
  });

  it('opens for a peer joined to a live P2P instance, with its derived id and its access token', async () => {
    const ann = await joinP2p('p2p-open', 'Ann');
    const socket = await open({ id: p2pPeerJsId(ann.instance.id, ann.peerID), token: ann.token });
    await socket.waitFor('OPEN', 'OPEN');
  });

  it('closes a socket that sends LEAVE without dst instead of keeping it open and deaf; it may open again', async () => {
    // Found by fuzz-peerjs: peer unregistered the sender and left its socket open, hearing nothing.
    const ann = await joinP2p('p2p-leave', 'Ann');
    const id = p2pPeerJsId(ann.instance.id, ann.peerID);
    const first = await open({ id, token: ann.token });
    await first.waitFor('OPEN', 'OPEN');
    first.ws.send(JSON.stringify({ type: 'LEAVE' }));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the socket stayed open after LEAVE without dst')), TIMEOUT_MS);
      first.ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const again = await open({ id, token: ann.token });
    await again.waitFor('OPEN', 'OPEN again');
    again.ws.send(JSON.stringify({ type: 'CANDIDATE', dst: id, payload: { echo: 1 } }));
    await again.waitFor('CANDIDATE', 'its own CANDIDATE relayed back');
  });

  it('refuses a wrong key, an id not derived from an instance, a bad token, another user and a stranger', async () => {
    const ann = await joinP2p('p2p-refuse', 'Ann');
    const bob = await guest(server, 'Bob');
    const id = p2pPeerJsId(ann.instance.id, ann.peerID);
    await assert.rejects(open({ id, token: ann.token, key: 'other' }), /refused with 400/);
    await assert.rejects(open({ id: 'plainid', token: ann.token }), /refused with 403/);
    await assert.rejects(open({ id, token: 'not-a-jwt' }), /refused with 401/);
    await assert.rejects(open({ id, token: bob.accessToken }), /refused with 403/, 'another user may not use the id');
    const stranger = p2pPeerJsId(ann.instance.id, '11111111-2222-4333-8444-555555555555');
    await assert.rejects(open({ id: stranger, token: ann.token }), /refused with 403/, 'a peer that never joined');
    const unknown = p2pPeerJsId('99999999-2222-4333-8444-555555555555', ann.peerID);
    await assert.rejects(
      open({ id: unknown, token: ann.token }),
      /refused with 403/,
      'an instance that does not exist',
    );
  });

  it('waits for a peer whose instance socket is in its handshake: open once it joins, refused when it fails', async () => {
    const { accessToken } = await guest(server, 'Early');
    const instance = await provisionOk(server, { locationId: 'early', token: accessToken, topology: 'p2p' });
    const target = { instanceId: instance.id, locationId: 'early' };
    const ready = (m: unknown) => (m as { instanceReady?: unknown }).instanceReady === true;

    const socket = primusSocket(server, target);
    sockets.push(socket);
    await socket.waitFor(ready, 'instanceReady');
    // PeerJS opens before the auth message is even sent, as the kit does.
    const opening = open({ id: p2pPeerJsId(instance.id, socket.peerID), token: accessToken });
    socket.write({ accessToken, peerID: socket.peerID });
    const peer = await opening;
    await peer.waitFor('OPEN', 'the PeerServer to open once the peer joined');

    const failing = primusSocket(server, target);
    sockets.push(failing);
    await failing.waitFor(ready, 'instanceReady');
    const refused = open({ id: p2pPeerJsId(instance.id, failing.peerID), token: accessToken });
    failing.write({ accessToken: 'not-a-token', peerID: failing.peerID });
    await assert.rejects(refused, /refused with 403/);
  });

  it('refuses peers of an SFU instance', async () => {
    const { accessToken } = await guest(server, 'Cy');
    const instance = await provisionOk(server, { locationId: 'sfu', token: accessToken, topology: 'p2p' });
    assert.equal(instance.p2p, false, 'a configured sfu location ignores the hint');
    const joined = await join(server, accessToken, { instanceId: instance.id, locationId: 'sfu' });
    sockets.push(joined.socket);
    const id = p2pPeerJsId(instance.id, joined.socket.peerID);
    await assert.rejects(open({ id, token: accessToken }), /refused with 403/);
  });

  it('relays signaling inside an instance and drops it toward another instance', async () => {
    const ann = await joinP2p('p2p-relay', 'Ann');
    const bob = await joinP2p('p2p-relay', 'Bob');
    const eve = await joinP2p('p2p-elsewhere', 'Eve');
    assert.equal(ann.instance.id, bob.instance.id);
    const annId = p2pPeerJsId(ann.instance.id, ann.peerID);
    const bobId = p2pPeerJsId(bob.instance.id, bob.peerID);
    const annSocket = await open({ id: annId, token: ann.token });
    const bobSocket = await open({ id: bobId, token: bob.token });
    const eveSocket = await open({ id: p2pPeerJsId(eve.instance.id, eve.peerID), token: eve.token });
    await Promise.all([annSocket, bobSocket, eveSocket].map((s) => s.waitFor('OPEN', 'OPEN')));
    eveSocket.ws.send(JSON.stringify({ type: 'OFFER', dst: annId, payload: { from: 'eve' } }));
    annSocket.ws.send(JSON.stringify({ type: 'OFFER', dst: bobId, payload: { from: 'ann' } }));
    const offer = await bobSocket.waitFor('OFFER', 'the offer from Ann');
    assert.equal(offer.src, annId);
    // Eve's offer was sent first on the same server: had it been relayed, Ann would hold it by now.
    bobSocket.ws.send(JSON.stringify({ type: 'ANSWER', dst: annId, payload: { from: 'bob' } }));
    await annSocket.waitFor('ANSWER', 'the answer from Bob');
    assert.ok(!annSocket.messages.some((m) => m.type === 'OFFER'), 'the offer from another instance was dropped');
  });
});

describe('PeerJS ids', () => {
  it('derive from the instance id and the peerID, and parse back', () => {
    const id = p2pPeerJsId('5b0e6a3c-1111-4222-8333-444455556666', 'a1f3c0de-1111-4222-8333-444455556666');
    assert.equal(id, '5b0e6a3c-1111-4222-8333-444455556666_a1f3c0de-1111-4222-8333-444455556666');
    assert.match(id, /^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$/, 'PeerJS accepts it');
    assert.deepEqual(parseP2pPeerJsId(id), {
      instanceId: '5b0e6a3c-1111-4222-8333-444455556666',
      peerID: 'a1f3c0de-1111-4222-8333-444455556666',
    });
  });

  it('encode ids PeerJS would refuse, unambiguously', () => {
    const id = p2pPeerJsId('room:1', 'peer.2');
    assert.match(id, /^h_[0-9a-f]+_[0-9a-f]+$/);
    assert.deepEqual(parseP2pPeerJsId(id), { instanceId: 'room:1', peerID: 'peer.2' });
    assert.equal(parseP2pPeerJsId('h_61_62'), null, 'a safe pair has only its plain form');
    assert.equal(parseP2pPeerJsId('just-one'), null);
    assert.equal(parseP2pPeerJsId('a_b_c'), null);
    assert.equal(parseP2pPeerJsId('h_zz_61'), null);
  });
});
