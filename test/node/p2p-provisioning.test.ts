import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/server/cli.js';
import type { RunningServer } from '../../src/server/index.js';
import { turnCredentials } from '../../src/server/p2p/turn-credentials.js';
import { guest, provision, provisionOk, start } from './helpers.js';

interface P2pAnswer {
  id: string;
  p2p: boolean;
  roomCode: string;
  ipAddress: string;
  port: number;
  iceServers?: { urls: string[]; username?: string; credential?: string }[];
  peerServer?: { host: string; port: number; path: string; secure: boolean; key?: string };
}

describe('provisioning P2P instances', () => {
  let server: RunningServer;

  before(async () => {
    server = await start({
      config: { locations: { mesh: { topology: 'p2p' }, big: { topology: 'p2p', maxUsersPerInstance: 12 } } },
    });
  });
  after(() => server.close());

  it('answers a topology=p2p request with the PeerServer, ICE servers and the instance socket address', async () => {
    const { accessToken } = await guest(server, 'Ann');
    const answer = (await provisionOk(server, {
      locationId: 'hinted',
      token: accessToken,
      topology: 'p2p',
    })) as P2pAnswer;
    assert.equal(answer.p2p, true);
    assert.match(answer.roomCode, /^[1-9]{6}$/);
    assert.deepEqual(answer.iceServers, [], 'no TURN server configured');
    assert.deepEqual(answer.peerServer, {
      host: '127.0.0.1',
      port: server.port,
      path: '/peerjs',
      secure: false,
      key: 'peerjs',
    });
    assert.equal(answer.ipAddress, '127.0.0.1', 'presence runs over the instance socket');
    assert.equal(answer.port, server.port);
  });

  it('answers SFU requests without P2P fields', async () => {
    const { accessToken } = await guest(server, 'Ann');
    const answer = (await provisionOk(server, { locationId: 'plain', token: accessToken })) as P2pAnswer;
    assert.equal(answer.p2p, false);
    assert.equal(answer.peerServer, undefined);
    assert.equal(answer.iceServers, undefined);
  });

  it('makes a location configured p2p P2P without a hint, 8 seats by default: a ninth guest gets a new instance', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) {
      const { accessToken } = await guest(server, `Guest ${i}`);
      const answer = (await provisionOk(server, { locationId: 'mesh', token: accessToken })) as P2pAnswer;
      assert.equal(answer.p2p, true);
      ids.push(answer.id);
    }
    assert.equal(new Set(ids.slice(0, 8)).size, 1, 'the first eight share one instance');
    assert.notEqual(ids[8], ids[0], 'the ninth lands in a new instance');
  });

  it('honours a configured maxUsersPerInstance for P2P locations', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const { accessToken } = await guest(server, `Guest ${i}`);
      ids.add(((await provisionOk(server, { locationId: 'big', token: accessToken })) as P2pAnswer).id);
    }
    assert.equal(ids.size, 1);
  });

  it('caps ad-hoc P2P media channels at 8 too', async () => {
    const statuses: number[] = [];
    let first: string | undefined;
    for (let i = 0; i < 9; i++) {
      const { accessToken } = await guest(server, `Guest ${i}`);
      const answer = await provision(server, { channelId: 'p2p-channel', token: accessToken, topology: 'p2p' });
      statuses.push(answer.status);
      if (answer.status === 200) {
        first ??= answer.body.id;
        assert.equal(answer.body.id, first);
        assert.equal(answer.body.p2p, true);
      }
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 200, 200, 409], 'a channel has one instance: 409 past 8');
  });
});

describe('TURN credentials (coturn REST scheme)', () => {
  let server: RunningServer;
  const secret = 'turn-secret-for-tests';

  before(async () => {
    server = await start({ turnSecret: secret, turnUrls: ['turn:127.0.0.1:3478'], turnTtlSeconds: 600 });
  });
  after(() => server.close());

  it('are `<unix expiry>:<user id>` and base64(HMAC-SHA1(secret, username))', () => {
    const { username, credential } = turnCredentials('s3cret', 'user-1', 3600, 1_700_000_000_000);
    assert.equal(username, '1700003600:user-1');
    assert.equal(credential, createHmac('sha1', 's3cret').update('1700003600:user-1').digest('base64'));
  });

  it('come with every P2P answer, minted for the caller and valid for the configured time', async () => {
    const { accessToken, user } = await guest(server, 'Ann');
    const before = Math.floor(Date.now() / 1000);
    const answer = (await provisionOk(server, {
      locationId: 'turn',
      token: accessToken,
      topology: 'p2p',
    })) as P2pAnswer;
    const [ice] = answer.iceServers ?? [];
    assert.ok(ice, 'one ICE server');
    assert.deepEqual(ice.urls, ['turn:127.0.0.1:3478']);
    const match = /^(\d+):(.+)$/.exec(ice.username ?? '');
    assert.ok(match, `username ${ice.username} is expiry:user`);
    assert.equal(match[2], user.id);
    const expiry = Number(match[1]);
    assert.ok(expiry >= before + 600 && expiry <= before + 602, `expiry ${expiry} is ~600 s ahead`);
    assert.equal(ice.credential, createHmac('sha1', secret).update(ice.username!).digest('base64'));
  });

  it('are not minted for SFU answers', async () => {
    const { accessToken } = await guest(server, 'Ann');
    const answer = (await provisionOk(server, { locationId: 'turn-sfu', token: accessToken })) as P2pAnswer;
    assert.equal(answer.iceServers, undefined);
  });
});

describe('TURN flags', () => {
  it('refuse --turn-url without a secret and URLs that are not turn:, turns: or stun:', async (t) => {
    const errors: string[] = [];
    t.mock.method(console, 'error', (message: string) => errors.push(message));
    assert.equal(await main(['serve', '--dev', '--turn-url', 'turn:127.0.0.1:3478']), 2);
    assert.match(errors.at(-1) ?? '', /--turn-url needs --turn-secret/);
    assert.equal(await main(['serve', '--dev', '--turn-secret', 's', '--turn-url', 'http://x']), 2);
    assert.match(errors.at(-1) ?? '', /--turn-url must be turn:host:port/);
    assert.equal(await main(['serve', '--dev', '--turn-secret', 's', '--turn-ttl-s', '5']), 2);
    assert.match(errors.at(-1) ?? '', /--turn-ttl-s must be a whole number from 60/);
  });
});
