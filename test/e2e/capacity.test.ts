// End to end: a location's maxUsersPerInstance sends the page after a full instance to a new one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { E2eEnvironment } from './harness.js';

describe('instance capacity across pages', () => {
  let env: E2eEnvironment;

  before(async () => {
    // The harness's config has the location `duo` with maxUsersPerInstance 2.
    env = await E2eEnvironment.start();
  });

  after(async () => {
    await env?.close();
  });

  it('with maxUsersPerInstance 2, a third page lands in a second instance', async (t) => {
    t.after(() => env.closePages());
    const attributes = { 'location-id': 'duo', 'api-url': env.server.apiUrl };
    const [first, second, third] = await Promise.all([env.openPage(), env.openPage(), env.openPage()]);

    await first.addWorld('world', attributes);
    await second.addWorld('world', attributes);
    const [a, b] = await Promise.all([
      first.waitForState('world', 'connected'),
      second.waitForState('world', 'connected'),
    ]);
    assert.ok(a.instance, 'the first page has an instance');
    assert.equal(b.instance?.id, a.instance.id, 'the first two pages share the instance (fullest with a seat)');
    assert.equal(a.instance.locationId, 'duo');

    await third.addWorld('world', attributes);
    const c = await third.waitForState('world', 'connected');
    assert.ok(c.instance, 'the third page has an instance');
    assert.notEqual(c.instance.id, a.instance.id, 'the third page is in another instance: the first is full');
    assert.equal(c.instance.locationId, 'duo');
    assert.deepEqual(c.peers, [], 'the third page is alone in its instance');

    const [afterA, afterB] = await Promise.all([first.snapshot('world'), second.snapshot('world')]);
    assert.deepEqual(
      afterA.peers.map((peer) => peer.peerID),
      [b.selfPeerID],
      'the full instance still holds only the first two pages',
    );
    assert.deepEqual(
      afterB.peers.map((peer) => peer.peerID),
      [a.selfPeerID],
    );

    const response = await fetch(`${env.server.apiUrl}/instances`);
    assert.equal(response.status, 200, 'GET /api/instances is open in dev mode');
    const instances = (await response.json()) as {
      id: string;
      locationId: string | null;
      peers: number;
      capacity: number;
    }[];
    const duo = instances.filter((instance) => instance.locationId === 'duo');
    assert.deepEqual(
      duo
        .map((instance) => ({ id: instance.id, peers: instance.peers, capacity: instance.capacity }))
        .sort((x, y) => y.peers - x.peers),
      [
        { id: a.instance.id, peers: 2, capacity: 2 },
        { id: c.instance.id, peers: 1, capacity: 2 },
      ],
      'the server counts two peers in the first instance and one in the second',
    );
  });
});
