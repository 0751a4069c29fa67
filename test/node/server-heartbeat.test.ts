import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServerHeartbeat } from '../../src/server/cluster/server-heartbeat.js';
import { MemoryStore } from '../../src/server/index.js';
import { createLogger } from '../../src/server/logger.js';
import { record } from './store-contract.js';

const TTL = 3000;

/** A store and a heartbeat for server `a:1` that share a clock the test moves by hand. */
function cluster() {
  const clock = { now: 1_000_000 };
  const now = () => clock.now;
  const store = new MemoryStore(now);
  const heartbeat = new ServerHeartbeat({
    store,
    address: 'a:1',
    capacity: 10,
    ttlMs: TTL,
    log: createLogger('silent'),
    now,
  });
  return { clock, store, heartbeat };
}

describe('ServerHeartbeat', () => {
  it('registers with its load and refreshes the registration at every beat', async () => {
    const { clock, store, heartbeat } = cluster();
    await store.createInstance(record({ server: 'a:1' }));
    await store.createInstance(record({ server: 'elsewhere:1' }));
    await heartbeat.beat();
    const [mine] = await store.liveServers();
    assert.deepEqual(
      { id: mine?.id, address: mine?.address, capacity: mine?.capacity, load: mine?.load },
      { id: heartbeat.id, address: 'a:1', capacity: 10, load: 1 },
    );
    clock.now += TTL - 1;
    await heartbeat.beat();
    clock.now += TTL - 1;
    assert.equal((await store.liveServers()).length, 1, 'refreshed before it lapsed');
  });

  it('ends the instances of a server gone silent, only after beating well for a whole TTL', async () => {
    const { clock, store, heartbeat } = cluster();
    await store.registerServer({ id: 'ghost', address: 'ghost:1', capacity: 10, load: 1 }, 1000);
    const ghostly = record({ server: 'ghost:1' });
    const mine = record({ server: 'a:1' });
    await store.createInstance(ghostly);
    await store.createInstance(mine);
    await heartbeat.beat();
    clock.now += 2000;
    await heartbeat.beat();
    assert.ok(await store.getInstance(ghostly.id), 'not yet: this server may itself just be back from an outage');
    clock.now += 1000;
    await heartbeat.beat();
    assert.equal(await store.getInstance(ghostly.id), null, 'the silent server’s instance ended');
    assert.ok(await store.getInstance(mine.id), 'its own instance stays');
    assert.deepEqual(await store.takeLapsedServers(), [], 'the lapsed registration was taken');
  });

  it('leaves the instances of an address that registered again under a new id', async () => {
    const { clock, store, heartbeat } = cluster();
    await store.registerServer({ id: 'old', address: 'b:1', capacity: 10, load: 1 }, 1000);
    const instance = record({ server: 'b:1' });
    await store.createInstance(instance);
    await heartbeat.beat();
    clock.now += TTL;
    await store.registerServer({ id: 'new', address: 'b:1', capacity: 10, load: 0 }, TTL);
    await heartbeat.beat();
    assert.ok(await store.getInstance(instance.id));
  });

  it('unregisters when closed, and closes twice without complaint', async () => {
    const { store, heartbeat } = cluster();
    await heartbeat.start();
    assert.equal((await store.liveServers()).length, 1);
    await heartbeat.close();
    await heartbeat.close();
    assert.deepEqual(await store.liveServers(), []);
  });
});
