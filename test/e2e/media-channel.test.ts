// End to end: a media channel nested in a world instance joins that instance's channel in two pages.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { E2eEnvironment, type E2ePage, uniqueLocation } from './harness.js';

describe('<ir-media-channel> nested in <ir-world-instance> across pages', () => {
  let env: E2eEnvironment;

  before(async () => {
    env = await E2eEnvironment.start();
  });

  after(async () => {
    await env?.close();
  });

  async function join(page: E2ePage, location: string, name: string): Promise<void> {
    await page.addWorld('world', { 'location-id': location, 'api-url': env.server.apiUrl, 'display-name': name });
    await page.addMediaChannel('media', {}, 'world');
  }

  it("both pages reach connected in the world instance's channel and see each other as participants", async (t) => {
    t.after(() => env.closePages());
    const location = uniqueLocation('media');
    const [first, second] = await Promise.all([env.openPage(), env.openPage()]);
    await join(first, location, 'Ada');
    await join(second, location, 'Grace');

    const [a, b] = await Promise.all([
      first.waitForState('world', 'connected'),
      second.waitForState('world', 'connected'),
    ]);
    assert.equal(b.instance?.id, a.instance?.id, 'both pages are in the same world instance');
    await Promise.all([first.waitForState('media', 'connected'), second.waitForState('media', 'connected')]);

    await first.waitForEvent('media', 'ir-participant-join', { peerID: b.selfPeerID });
    await second.waitForEvent('media', 'ir-participant-join', { peerID: a.selfPeerID });
    const [mediaA, mediaB] = await Promise.all([first.mediaSnapshot('media'), second.mediaSnapshot('media')]);
    assert.deepEqual(
      mediaA.participants,
      [{ peerID: b.selfPeerID, name: 'Grace' }],
      'participants share keys with peers: the same peerID in the world and its channel',
    );
    assert.deepEqual(mediaB.participants, [{ peerID: a.selfPeerID, name: 'Ada' }]);

    const response = await fetch(`${env.server.apiUrl}/instances`);
    const instances = (await response.json()) as {
      id: string;
      channelId: string | null;
      locationId: string | null;
      peers: number;
    }[];
    const world = instances.find((instance) => instance.id === a.instance?.id);
    assert.ok(world?.channelId, 'the world instance has a channel');
    const media = instances.filter((instance) => instance.channelId === world.channelId && instance.id !== world.id);
    assert.equal(media.length, 1, `one media instance serves the channel (instances: ${JSON.stringify(instances)})`);
    assert.equal(media[0]?.peers, 2, 'both pages joined the media instance');
  });
});
