import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/server/index.js';
import {
  closeMessage,
  eventually,
  guest,
  instances,
  join,
  provisionOk,
  rawSocket,
  start,
  type TestSocket,
} from './helpers.js';

const PEER_LEFT = 'ee.engine.network.PEER_LEFT';

describe('instance socket under bad input', () => {
  let server: RunningServer;
  const sockets: TestSocket[] = [];

  before(async () => {
    server = await start();
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    await server.close();
  });

  async function raw(locationId: string) {
    const { accessToken } = await guest(server);
    const instance = await provisionOk(server, { locationId, token: accessToken });
    const socket = rawSocket(server, { instanceId: instance.id, locationId });
    sockets.push(socket);
    await socket.waitFor((m) => (m as { instanceReady?: boolean }).instanceReady === true, 'instanceReady');
    return { socket, accessToken, instance };
  }

  async function assertClosedWith(socket: TestSocket, reason: string, label: string) {
    await socket.waitForEnd(label);
    assert.equal(closeMessage(socket)?.closeReason, reason, `${label}: ${JSON.stringify(socket.messages)}`);
  }

  it('closes a socket that sends a frame that is not JSON, with PROTOCOL_ERROR', async () => {
    const { socket } = await raw('bad-json');
    socket.write('{not json');
    await assertClosedWith(socket, 'PROTOCOL_ERROR', 'non-JSON frame');
  });

  it('closes a socket that sends an oversized frame, with PROTOCOL_ERROR', async () => {
    const { socket } = await raw('big-frame');
    socket.write(JSON.stringify({ accessToken: 'x'.repeat(200 * 1024), peerID: socket.peerID }));
    await assertClosedWith(socket, 'PROTOCOL_ERROR', 'oversized frame');
    // Far past the limit the WebSocket layer itself cuts the connection (close code 1009).
    const huge = await raw('huge-frame');
    huge.socket.write('x'.repeat(2 * 1024 * 1024));
    await huge.socket.waitForEnd('a 2 MB frame');
  });

  it('closes a socket whose first frame is not the auth message', async () => {
    for (const frame of [[{ type: 'app.early' }], { hello: 'world' }, 42, 'text']) {
      const { socket } = await raw('early');
      socket.write(frame);
      await assertClosedWith(socket, 'PROTOCOL_ERROR', `first frame ${JSON.stringify(frame)}`);
    }
  });

  it('closes a socket with a bad query or an auth message for another peerID', async () => {
    const query = rawSocket(server, { instanceId: 'x', peerID: 'not-a-uuid', locationId: 'q' });
    sockets.push(query);
    await assertClosedWith(query, 'PROTOCOL_ERROR', 'bad query');
    const { socket, accessToken } = await raw('other-peer');
    socket.write({ accessToken, peerID: '00000000-0000-4000-8000-000000000000' });
    await assertClosedWith(socket, 'PROTOCOL_ERROR', 'auth for another peerID');
  });

  it('closes a joined socket that sends an invalid action frame, and keeps serving the others', async () => {
    const { accessToken } = await guest(server, 'Steady');
    const instance = await provisionOk(server, { locationId: 'shared', token: accessToken });
    const target = { instanceId: instance.id, locationId: 'shared' };
    const steady = await join(server, accessToken, target);
    sockets.push(steady.socket);
    const rude = await join(server, (await guest(server, 'Rude')).accessToken, target);
    sockets.push(rude.socket);
    rude.socket.write({ not: 'an array' });
    await assertClosedWith(rude.socket, 'PROTOCOL_ERROR', 'object after handshake');
    await steady.socket.waitForAction(PEER_LEFT, (a) => a.peerID === rude.socket.peerID);

    const other = await join(server, (await guest(server, 'Other')).accessToken, target);
    sockets.push(other.socket);
    other.socket.write([{ type: '' }]);
    await assertClosedWith(other.socket, 'PROTOCOL_ERROR', 'action without a type');

    const health = await fetch(`${server.apiUrl}/health`);
    assert.equal(health.status, 200);
    const friend = await join(server, (await guest(server, 'Friend')).accessToken, target);
    sockets.push(friend.socket);
    friend.socket.write([{ type: 'app.ping', $to: steady.socket.peerID }]);
    await steady.socket.waitForAction('app.ping');
  });

  it('refuses WebSocket upgrades to paths other than /primus instead of leaving them open', async () => {
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/elsewhere`);
    const outcome = await new Promise<string>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      ws.on('error', (error) => resolve(error.message));
    });
    assert.equal(outcome, '404');
  });

  it('ignores actions of unknown types to the host and auth polls that cross the success answer', async () => {
    const { accessToken } = await guest(server);
    const instance = await provisionOk(server, { locationId: 'lenient', token: accessToken });
    const target = { instanceId: instance.id, locationId: 'lenient' };
    const peer = await join(server, accessToken, target);
    sockets.push(peer.socket);
    const watcher = await join(server, (await guest(server)).accessToken, target);
    sockets.push(watcher.socket);
    peer.socket.write({ accessToken, peerID: peer.socket.peerID });
    peer.socket.write([{ type: 'app.unknown', $to: peer.success.hostPeerID }]);
    peer.socket.write([{ type: 'app.still-here', $to: 'all' }]);
    await watcher.socket.waitForAction('app.still-here');
    assert.equal(peer.socket.isEnded, false);
  });
});

describe('instance socket timers', () => {
  let server: RunningServer;
  const sockets: TestSocket[] = [];

  before(async () => {
    server = await start({ heartbeatTimeoutMs: 2500, instanceGraceMs: 300, reservationTtlMs: 400, resumeGraceMs: 300 });
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    await server.close();
  });

  it('sends [] heartbeats and drops a silent peer; the others get PEER_LEFT', async () => {
    const { accessToken } = await guest(server);
    const instance = await provisionOk(server, { locationId: 'beats', token: accessToken });
    const target = { instanceId: instance.id, locationId: 'beats' };
    const steady = await join(server, accessToken, target);
    sockets.push(steady.socket);
    const silent = await join(server, (await guest(server)).accessToken, target);
    sockets.push(silent.socket);
    silent.socket.stopHeartbeat();
    await silent.socket.waitFor((m) => Array.isArray(m) && m.length === 0, 'a [] heartbeat from the server');
    await silent.socket.waitForEnd('the silent socket to be dropped');
    assert.equal(closeMessage(silent.socket)?.closeReason, 'HEARTBEAT_TIMEOUT');
    await steady.socket.waitForAction(PEER_LEFT, (a) => a.peerID === silent.socket.peerID);
    assert.equal(steady.socket.isEnded, false, 'a peer that sends heartbeats stays');
  });

  it('ends an instance after its last peer left and the grace period passed', async () => {
    const { accessToken } = await guest(server);
    const instance = await provisionOk(server, { locationId: 'grace', token: accessToken });
    const peer = await join(server, accessToken, { instanceId: instance.id, locationId: 'grace' });
    sockets.push(peer.socket);
    assert.ok((await instances(server)).some((i) => i.id === instance.id));
    peer.socket.close();
    await eventually(async () => !(await instances(server)).some((i) => i.id === instance.id), 'the instance to end');
    const again = await provisionOk(server, { locationId: 'grace', token: accessToken });
    assert.notEqual(again.id, instance.id, 'an ended instance is not handed out again');
  });

  it('ends an instance whose reservation nobody used', async () => {
    const { accessToken } = await guest(server);
    const instance = await provisionOk(server, { locationId: 'unused', token: accessToken });
    await eventually(async () => !(await instances(server)).some((i) => i.id === instance.id), 'the instance to end');
  });
});
