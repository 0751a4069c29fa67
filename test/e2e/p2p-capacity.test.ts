// End to end: a P2P location holds 8 peers by default; a ninth page lands in a new instance.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { E2eEnvironment, type E2ePage } from './harness.js';

describe('P2P location capacity', () => {
  let env: E2eEnvironment;

  before(async () => {
    env = await E2eEnvironment.start({ locations: { mesh: { topology: 'p2p' } } });
  });

  after(async () => {
    await env?.close();
  });

  it('puts eight pages in one P2P instance and the ninth in a new one', async () => {
    const pages: E2ePage[] = [];
    const instances: string[] = [];
    for (let i = 0; i < 9; i++) {
      const page = await env.openPage();
      pages.push(page);
      await page.addWorld('world', { 'location-id': 'mesh', 'api-url': env.server.apiUrl, 'display-name': `P${i}` });
      const snapshot = await page.waitForState('world', 'connected');
      assert.equal(snapshot.instance?.p2p, true, `page ${i} is in a P2P instance`);
      instances.push(snapshot.instance.id);
    }
    assert.equal(new Set(instances.slice(0, 8)).size, 1, 'the first eight share one instance');
    assert.notEqual(instances[8], instances[0], 'the ninth is in a new instance');
    const ninth = await pages[8]!.snapshot('world');
    assert.deepEqual(ninth.peers, [], 'the ninth page is alone in its instance');
    const first = await pages[0]!.snapshot('world');
    assert.equal(first.peers.length, 7, 'the first page sees the other seven of its instance');
  });
});
