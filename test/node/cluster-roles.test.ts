/**
 * `--role api` and `--role instance`: one API process hands out instances on the instance-server
 * processes registered in Redis; clients open their sockets there, never at the API.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { InstanceSummary } from '../../src/protocol/index.js';
import { p2pPeerJsId } from '../../src/protocol/p2p.js';
import { type ClusterProcess, kick, provisionAndJoin, serverOf, TestCluster } from './cluster-helpers.js';
import { closeMessage, eventually, guest, instances, primusSocket, provisionOk, request } from './helpers.js';
import { redisForThisFile } from './redis-server.js';

const redis = redisForThisFile();

const clusters: TestCluster[] = [];
afterEach(() => Promise.all(clusters.splice(0).map((cluster) => cluster.close())));

function cluster(options: Omit<ConstructorParameters<typeof TestCluster>[0], 'redisUrl'> = {}): TestCluster {
  const made = new TestCluster({ redisUrl: redis.url, ...options });
  clusters.push(made);
  return made;
}

function describeSpread(lists: InstanceSummary[][]): string {
  return lists.map((list, i) => `server ${i}: [${list.map((x) => `${x.peers}/${x.seats}`).join(' ')}]`).join('; ');
}

describe('an API process and instance-server processes on one Redis', () => {
  it('seats 40 concurrent joins to a location of 5 seats in 8 or more instances spread over both instance servers', async () => {
    const c = cluster({ locations: { capped: { maxUsersPerInstance: 5 } } });
    const [api, a, b] = await Promise.all([c.api(), c.instance(), c.instance()]);
    const joined = await Promise.all(
      Array.from({ length: 40 }, (_, i) => provisionAndJoin(api.server, { locationId: 'capped' }, `user-${i}`)),
    );
    const servers: ClusterProcess[] = [a, b];
    for (const { answer } of joined) {
      assert.ok(
        servers.some((s) => s.server.port === answer.port),
        `every answer names an instance server, not ${answer.ipAddress}:${answer.port} (the API is ${api.address})`,
      );
    }
    const lists = await Promise.all(servers.map((s) => instances(s.server)));
    const spread = describeSpread(lists);
    for (const [i, list] of lists.entries()) {
      assert.ok(list.length > 0, `instances on both servers: ${spread}`);
      assert.ok(
        list.every((x) => x.server === servers[i]!.address),
        `an instance server lists only its own: ${spread}`,
      );
    }
    const all = lists.flat();
    assert.ok(all.length >= 8, `at least 8 instances: ${spread}`);
    assert.ok(
      all.every((x) => x.peers <= 5 && x.seats <= 5),
      `none over 5: ${spread}`,
    );
    assert.equal(
      all.reduce((sum, x) => sum + x.peers, 0),
      40,
      `everyone seated: ${spread}`,
    );
    assert.equal((await instances(api.server)).length, all.length, 'the API lists every instance');
    for (const { joined: peer } of joined) peer.socket.close();
  });

  it('serves no sockets and no media at the API, and no provisioning at an instance server', async () => {
    const c = cluster();
    const [api, instance] = await Promise.all([c.api(), c.instance()]);
    const { accessToken } = await guest(api.server);
    const atInstance = await request(
      `${instance.server.apiUrl}/instance-provision?${new URLSearchParams({ locationId: 'lobby', token: accessToken })}`,
    );
    assert.equal(atInstance.status, 404, 'an instance server does not provision');
    assert.equal((atInstance.body as { code?: string }).code, 'NOT_FOUND');
    const answer = await provisionOk(api.server, { locationId: 'lobby', token: accessToken });
    assert.equal(answer.port, instance.server.port);
    const atApi = primusSocket(api.server, { instanceId: answer.id, locationId: 'lobby' });
    await atApi.waitForEnd('a socket opened at the API to be refused');
    assert.ok(!atApi.messages.some((m) => 'instanceReady' in m), 'the API never says instanceReady');
    const health = await request<{ status: string; instances: number }>(`${instance.server.apiUrl}/health`);
    assert.equal(health.status, 200);
    assert.equal(health.body.instances, 1, 'the instance server counts the instance allocated to it');
  });

  it('closes a kicked peer’s socket on the instance server that hosts it, kicked at the API', async () => {
    const c = cluster();
    const [api] = await Promise.all([c.api(), c.instance(), c.instance()]);
    const first = await provisionAndJoin(api.server, { locationId: 'lobby' }, 'Ann');
    const second = await provisionAndJoin(api.server, { locationId: 'lobby', roomCode: first.answer.roomCode }, 'Bob');
    const answer = await kick(api.server, first.answer.id, { userID: second.userId, until: 60 });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal((answer.body as { kicked: number }).kicked, 1, 'the API counts the seated peer it kicked');
    await second.joined.socket.waitForEnd('the kicked socket to close');
    assert.equal(closeMessage(second.joined.socket)?.closeReason, 'KICKED');
    const again = await request(
      `${api.server.apiUrl}/instance-provision?${new URLSearchParams({ locationId: 'lobby', roomCode: first.answer.roomCode, token: second.token })}`,
    );
    assert.equal(again.status, 403, 'the kicked user is refused at provisioning');
    assert.ok(!first.joined.socket.isEnded, 'the other peer stays');
    first.joined.socket.close();
  });

  it('ends an instance nobody joins on the instance server it was allocated to', async () => {
    const c = cluster();
    const grace = ['--instance-grace-ms', '200', '--reservation-ttl-ms', '300'];
    const [api, instance] = await Promise.all([c.api(grace), c.instance(grace)]);
    const { accessToken } = await guest(api.server);
    const answer = await provisionOk(api.server, { locationId: 'lobby', token: accessToken });
    assert.equal(serverOf(answer).port, instance.server.port);
    await eventually(
      async () => (await instances(api.server)).length === 0,
      'the unused instance to end (reservation 300 ms, grace 200 ms)',
      20_000,
    );
  });

  it('sends P2P clients to the PeerServer of their instance server, which admits the peer joined there', async () => {
    const c = cluster();
    const [api, instance] = await Promise.all([c.api(), c.instance()]);
    const ann = await provisionAndJoin(api.server, { locationId: 'mesh', topology: 'p2p' }, 'Ann');
    const answer = ann.answer as typeof ann.answer & { peerServer?: { host: string; port: number } };
    assert.equal(answer.p2p, true);
    assert.deepEqual(answer.peerServer && [answer.peerServer.host, answer.peerServer.port], [
      '127.0.0.1',
      instance.server.port,
    ]);
    assert.equal((await request(`${api.server.url}/peerjs/`)).status, 404, 'no PeerServer at the API');
    const query = new URLSearchParams({
      key: 'peerjs',
      id: p2pPeerJsId(answer.id, ann.joined.socket.peerID),
      token: ann.token,
    });
    const ws = new WebSocket(`ws://127.0.0.1:${instance.server.port}/peerjs/peerjs?${query}`);
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (data) => resolve(String(data)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
      ws.once('error', reject);
    });
    assert.equal((JSON.parse(first) as { type: string }).type, 'OPEN');
    ws.close();
    ann.joined.socket.close();
  });

  it('takes the beacon leave at the instance server the kit posts it to', async () => {
    const c = cluster();
    const [api] = await Promise.all([c.api(), c.instance()]);
    const ann = await provisionAndJoin(api.server, { locationId: 'lobby' }, 'Ann');
    const bob = await provisionAndJoin(api.server, { locationId: 'lobby', roomCode: ann.answer.roomCode }, 'Bob');
    const left = await request(`${serverOf(bob.answer).apiUrl}/instances/${bob.answer.id}/leave`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ peerID: bob.joined.socket.peerID, token: bob.token }),
    });
    assert.equal(left.status, 204, JSON.stringify(left.body));
    await ann.joined.socket.waitForAction('ee.engine.network.PEER_LEFT', (x) => x.peerID === bob.joined.socket.peerID);
    ann.joined.socket.close();
    bob.joined.socket.drop();
  });
});
