// End to end: two real Chromium pages in one world instance see each other come and go.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { E2eEnvironment, type E2ePage, TIMEOUT, uniqueLocation } from './harness.js';

describe('<ir-world-instance> presence across pages', () => {
  let env: E2eEnvironment;

  before(async () => {
    env = await E2eEnvironment.start();
  });

  after(async () => {
    await env?.close();
  });

  async function joinBoth(location: string): Promise<[E2ePage, E2ePage]> {
    const [first, second] = await Promise.all([env.openPage(), env.openPage()]);
    const attributes = { 'location-id': location, 'api-url': env.server.apiUrl, 'display-name': 'E2E' };
    await first.addWorld('world', { ...attributes, 'display-name': 'Ada' });
    await second.addWorld('world', { ...attributes, 'display-name': 'Grace' });
    return [first, second];
  }

  it('two pages with the same location-id reach connected and each sees the other in peers', async (t) => {
    t.after(() => env.closePages());
    const [first, second] = await joinBoth(uniqueLocation('presence'));

    const [a, b] = await Promise.all([
      first.waitForState('world', 'connected'),
      second.waitForState('world', 'connected'),
    ]);
    assert.ok(a.instance, 'the first page has an instance once connected');
    assert.equal(b.instance?.id, a.instance.id, 'both pages are in the same instance');
    assert.notEqual(a.selfPeerID, b.selfPeerID, 'each page has its own peerID');

    const joinSeenByFirst = await first.waitForEvent('world', 'ir-peer-join', { peerID: b.selfPeerID });
    const joinSeenBySecond = await second.waitForEvent('world', 'ir-peer-join', { peerID: a.selfPeerID });
    assert.equal((joinSeenByFirst.detail.peer as { peerID: string }).peerID, b.selfPeerID);
    assert.equal((joinSeenBySecond.detail.peer as { peerID: string }).peerID, a.selfPeerID);

    const [afterA, afterB] = await Promise.all([first.snapshot('world'), second.snapshot('world')]);
    assert.deepEqual(
      afterA.peers.map((peer) => peer.peerID),
      [b.selfPeerID],
      'the first page sees exactly the second in peers (peers holds only the other peers)',
    );
    assert.deepEqual(
      afterB.peers.map((peer) => peer.peerID),
      [a.selfPeerID],
      'the second page sees exactly the first in peers',
    );
    assert.equal(afterA.peers[0]?.name, 'Grace', 'presence carries the display name');
    assert.equal(afterB.peers[0]?.name, 'Ada', 'presence carries the display name');
  });

  it('removing one element gives the other ir-peer-leave within a few seconds', async (t) => {
    t.after(() => env.closePages());
    const [first, second] = await joinBoth(uniqueLocation('leave'));
    const [a, b] = await Promise.all([
      first.waitForState('world', 'connected'),
      second.waitForState('world', 'connected'),
    ]);
    await first.waitForEvent('world', 'ir-peer-join', { peerID: b.selfPeerID });

    const removedAt = Date.now();
    await second.removeElement('world');
    const leave = await first.waitForEvent('world', 'ir-peer-leave', { peerID: b.selfPeerID, timeout: 10_000 });
    const elapsed = leave.at - removedAt;
    assert.ok(elapsed < 10_000, `ir-peer-leave came ${elapsed} ms after the removal`);

    const snapshot = await first.snapshot('world');
    assert.equal(snapshot.state, 'connected', 'the remaining page stays connected');
    assert.deepEqual(snapshot.peers, [], 'the remaining page no longer lists the one that left');
    assert.equal(snapshot.instance?.id, a.instance?.id);
  });

  it('a page that joins late sees the peer already there (presence is replayed)', async (t) => {
    t.after(() => env.closePages());
    const location = uniqueLocation('late');
    const first = await env.openPage();
    await first.addWorld('world', { 'location-id': location, 'api-url': env.server.apiUrl });
    const a = await first.waitForState('world', 'connected');

    const second = await env.openPage();
    await second.addWorld('world', { 'location-id': location, 'api-url': env.server.apiUrl });
    const b = await second.waitForState('world', 'connected', TIMEOUT.connected);
    assert.equal(b.instance?.id, a.instance?.id);
    await second.waitForEvent('world', 'ir-peer-join', { peerID: a.selfPeerID });
    await first.waitForEvent('world', 'ir-peer-join', { peerID: b.selfPeerID });
  });
});
