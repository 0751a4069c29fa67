/**
 * The Redis store's offer index (the public world instances of a location and topology, which
 * reserveInFullest reads instead of every instance in Redis), seen from a raw connection.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/server/index.js';
import { redisForThisFile } from './redis-server.js';
import { record } from './store-contract.js';

const redis = redisForThisFile();

const opened: { close(): Promise<unknown> }[] = [];
afterEach(() => Promise.all(opened.splice(0).map((c) => c.close())));

async function storeAndRaw(): Promise<{ store: RedisStore; raw: Redis }> {
  const store = await RedisStore.connect(redis.url, { prefix: `test:${randomUUID()}:` });
  const raw = new Redis(redis.url);
  opened.push(store, { close: () => raw.quit() });
  return { store, raw };
}

describe('RedisStore offer index', () => {
  it('holds the public world instances of a location and topology, and loses them when they end', async () => {
    const { store, raw } = await storeAndRaw();
    const location = `loc-${randomUUID()}`;
    const sfu = record({ locationId: location });
    const p2p = record({ locationId: location, p2p: true });
    const unoffered = [
      record({ locationId: location, private: true }),
      record({ locationId: location, kind: 'media' }),
      record({ locationId: null }),
    ];
    for (const r of [sfu, p2p, ...unoffered]) assert.equal(await store.createInstance(r), 'created');
    assert.deepEqual(await raw.smembers(`${store.prefix}offers-sfu:${location}`), [sfu.id]);
    assert.deepEqual(await raw.smembers(`${store.prefix}offers-p2p:${location}`), [p2p.id]);
    await store.endInstance(sfu.id);
    assert.deepEqual(await raw.smembers(`${store.prefix}offers-sfu:${location}`), []);
  });

  it('skips and removes an index entry whose record is gone', async () => {
    const { store, raw } = await storeAndRaw();
    const location = `loc-${randomUUID()}`;
    const vanished = record({ locationId: location, capacity: 5 });
    const live = record({ locationId: location, capacity: 5 });
    for (const r of [vanished, live]) assert.equal(await store.createInstance(r), 'created');
    // The fuller one, were it there: only its missing record keeps it from being chosen.
    assert.equal(await store.reserveSeat(vanished.id, 'seated-one', 5, 60_000), true);
    const index = `${store.prefix}offers-sfu:${location}`;
    assert.equal(await raw.sismember(index, vanished.id), 1);
    await raw.del(`${store.prefix}record:${vanished.id}`);
    assert.equal((await store.reserveInFullest(location, 'ann', false, 60_000))?.id, live.id);
    assert.equal(await raw.sismember(index, vanished.id), 0, 'the stale entry is gone from the index');
    await raw.del(`${store.prefix}record:${live.id}`);
    assert.equal(await store.reserveInFullest(location, 'bob', false, 60_000), null);
    assert.deepEqual(await raw.smembers(index), []);
  });

  it('reads no record outside the location asked for', async () => {
    const { store, raw } = await storeAndRaw();
    const location = `loc-${randomUUID()}`;
    const instance = record({ locationId: location });
    assert.equal(await store.createInstance(instance), 'created');
    // A record no script could decode, in the set of all instances: a join that walked every
    // instance would fail on it.
    await raw.sadd(`${store.prefix}instances`, 'garbled');
    await raw.set(`${store.prefix}record:garbled`, '{not json');
    assert.equal((await store.reserveInFullest(location, 'ann', false, 60_000))?.id, instance.id);
  });
});
