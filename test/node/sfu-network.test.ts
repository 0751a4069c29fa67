/** The SFU's network settings: the UDP port range, the announced address, and the flags that set them. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MediasoupAction as M } from '../../src/protocol/index.js';
import { main } from '../../src/server/cli.js';
import type { RunningServer } from '../../src/server/index.js';
import { start } from './helpers.js';
import { SfuPeer, worldInstance } from './sfu-peer.js';

describe('SFU network settings', () => {
  const servers: RunningServer[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('puts the announced address and a port of the range in the ICE candidates', async () => {
    const server = await start({ rtcPorts: [47_100, 47_120], announcedAddress: '10.11.12.13' });
    servers.push(server);
    const instanceId = await worldInstance(server, 'net');
    const peer = await SfuPeer.join(server, instanceId, 'net');
    try {
      for (const direction of ['send', 'recv']) {
        const created = await peer.request({ type: M.TRANSPORT_REQUEST_CREATE, direction }, [
          M.TRANSPORT_CREATED,
          M.TRANSPORT_REQUEST_ERROR_CREATE,
        ]);
        const candidates = created.iceCandidates as { ip: string; address: string; port: number; type: string }[];
        assert.equal(candidates.length, 1);
        assert.equal(candidates[0]!.ip, '10.11.12.13');
        assert.equal(candidates[0]!.address, '10.11.12.13');
        assert.equal(candidates[0]!.type, 'host');
        assert.ok(candidates[0]!.port >= 47_100 && candidates[0]!.port <= 47_120, `port ${candidates[0]!.port}`);
        assert.deepEqual(created.iceServers, []);
        assert.equal((created.iceParameters as { iceLite: boolean }).iceLite, true);
      }
    } finally {
      await peer.close();
    }
  });

  it('refuses announced addresses that are not IPv4 and port ranges that are not ranges', async () => {
    await assert.rejects(start({ announcedAddress: 'rooms.example' }), /announcedAddress/);
    await assert.rejects(start({ announcedAddress: '0.0.0.0' }), /announcedAddress/);
    await assert.rejects(start({ rtcPorts: [50_000, 40_000] }), /rtcPorts/);
  });

  it('refuses bad --rtc-ports and --announced-address flags with exit code 2', async () => {
    const quiet = console.error;
    console.error = () => undefined;
    try {
      assert.equal(await main(['serve', '--dev', '--rtc-ports', '40000']), 2);
      assert.equal(await main(['serve', '--dev', '--rtc-ports', '5000-4000']), 2);
      assert.equal(await main(['serve', '--dev', '--rtc-ports', '1-70000']), 2);
      assert.equal(await main(['serve', '--dev', '--announced-address', 'example.com']), 2);
    } finally {
      console.error = quiet;
    }
  });
});
