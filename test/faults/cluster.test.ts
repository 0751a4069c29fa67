/**
 * Several processes over Redis, with a real page: an API process and two instance servers (CLI
 * processes, Debian's redis-server), one instance server SIGKILLed under a page in one of its
 * instances. The page must find its way to the other server by itself: its resume reaches no one,
 * it provisions again, and the API (which dropped the dead server once its registration lapsed)
 * hands it an instance on the live one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { E2eEnvironment, TIMEOUT, uniqueLocation } from '../e2e/harness.js';
import { TestCluster } from '../node/cluster-helpers.js';
import { startRedis, type TestRedis } from '../node/redis-server.js';

describe('several processes over Redis, with a page', () => {
  let redis: TestRedis;
  let env: E2eEnvironment;
  let cluster: TestCluster;

  before(async () => {
    redis = await startRedis();
    env = await E2eEnvironment.start();
    cluster = new TestCluster({ redisUrl: redis.url, serverTtlMs: 900 });
  });

  after(async () => {
    await cluster?.close();
    await env?.close();
    await redis?.dispose();
  });

  it('an instance server SIGKILLed: the page provisions again onto the other server and is connected', async () => {
    const [api, first, second] = await Promise.all([cluster.api(), cluster.instance(), cluster.instance()]);
    const page = await env.openPage(`${api.server.url}/`);
    await page.addWorld('w', { 'location-id': uniqueLocation('cluster') });
    const before = (await page.waitForState('w', 'connected')).instance;
    assert.ok(before?.port, 'the page knows where its instance is');
    const [victim, survivor] = before.port === first.server.port ? [first, second] : [second, first];
    assert.equal(before.port, victim.server.port, 'the instance is on one of the two instance servers');

    const seen = (await page.events('w')).length;
    const killedAt = Date.now();
    victim.kill('SIGKILL');
    await page.waitUntil(
      'w',
      'connected again after the kill',
      ({ key, seen }) =>
        window.__irE2e?.events
          .get(key)
          ?.slice(seen)
          .some((event) => event.type === 'ir-state-change' && event.detail.state === 'connected') ?? false,
      { key: 'w', seen },
      TIMEOUT.connected * 2,
    );
    const back = Date.now() - killedAt;
    const after = (await page.snapshot('w')).instance;
    assert.equal(after?.port, survivor.server.port, 'the new instance is on the live server');
    assert.notEqual(after?.id, before.id, 'a new instance');
    const states = (await page.events('w'))
      .slice(seen)
      .filter((e) => e.type === 'ir-state-change')
      .map((e) => `${e.detail.state}${e.detail.reason ? ` (${e.detail.reason})` : ''}`);
    assert.ok(!states.some((s) => s.startsWith('failed')), `no failed on the way: ${states.join(' → ')}`);
    console.log(`fault: instance server SIGKILLed: the page connected on the other server ${back} ms later`);
    await env.closePages();
  });
});
