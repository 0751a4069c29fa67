import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisStore, StoreUnavailableError } from '../../src/server/index.js';
import { eventually } from './helpers.js';
import { freePort, redisForThisFile } from './redis-server.js';
import { record } from './store-contract.js';

const redis = redisForThisFile();

const opened: { close(): Promise<unknown> }[] = [];
afterEach(() => Promise.all(opened.splice(0).map((each) => each.close())));

async function connect(prefix = `test:${randomUUID()}:`): Promise<RedisStore> {
  const store = await RedisStore.connect(redis.url, { prefix, connectTimeoutMs: 2000 });
  opened.push(store);
  return store;
}

/** A plain client for looking at the keys, as an operator would with redis-cli. */
function inspector(): Redis {
  const client = new Redis(redis.url, { lazyConnect: true });
  opened.push({ close: () => client.quit() });
  return client;
}

/** Resolves once the store answers again (Redis back and the client reconnected). */
function storeAnswers(store: RedisStore): Promise<true> {
  return eventually(
    () =>
      store.listInstances().then(
        () => true as const,
        (error: unknown) => {
          if (error instanceof StoreUnavailableError) return false;
          throw error;
        },
      ),
    'the store to reconnect after redis-server came back',
    15_000,
  );
}

describe('RedisStore on a real redis-server', () => {
  it('keeps every key under its prefix and leaves none behind when an instance ends', async () => {
    const prefix = `test:${randomUUID()}:`;
    const store = await connect(prefix);
    const keys = inspector();
    const instance = record({ private: true, authorizedUsers: ['owner'] });
    await store.createInstance(instance, { userId: 'ann', ttlMs: 60_000 });
    await store.claimSeat(instance.id, 'peer-bob', 'bob', 2);
    await store.authorizeUser(instance.id, 'bob');
    await store.addKick(instance.id, { peerId: 'peer-eve', userId: 'eve', until: Date.now() + 60_000 });
    const written = await keys.keys(`${prefix}*`);
    assert.ok(written.length >= 7, `the instance's keys: ${written.join(', ')}`);
    assert.deepEqual(await keys.keys('*'), written, 'nothing is written outside the prefix');
    await store.endInstance(instance.id);
    assert.deepEqual(await keys.keys(`${prefix}*`), [], 'an ended instance leaves no key');
  });

  it('refuses to connect with an error naming Redis and the cause', async () => {
    const unreachable = `redis://127.0.0.1:${await freePort()}`;
    await assert.rejects(
      RedisStore.connect(unreachable, { connectTimeoutMs: 2000 }),
      (error: unknown) =>
        error instanceof StoreUnavailableError && error.message.startsWith(`cannot reach Redis at ${unreachable}`),
    );
    await assert.rejects(RedisStore.connect('http://127.0.0.1:6379'), TypeError);
    await assert.rejects(RedisStore.connect('not a url'), TypeError);
  });

  it('hides the password of the Redis URL in its errors', async () => {
    const url = `redis://user:s3cret-pass@127.0.0.1:${await freePort()}`;
    await assert.rejects(RedisStore.connect(url, { connectTimeoutMs: 2000 }), (error: Error) => {
      assert.ok(!error.message.includes('s3cret-pass'), error.message);
      assert.match(error.message, /redis:\/\/user:\*\*\*@127\.0\.0\.1/);
      return true;
    });
  });

  it('rejects calls while redis-server is down and works again once it restarts on the same port', async () => {
    const store = await connect();
    const instance = record({ capacity: 3 });
    assert.equal(await store.createInstance(instance), 'created');
    await redis.stop();
    const unavailable = (error: unknown) =>
      error instanceof StoreUnavailableError && /^Redis is unavailable \(\w+\): /.test(error.message);
    await assert.rejects(store.getInstance(instance.id), unavailable, 'a read fails while Redis is down');
    await assert.rejects(store.claimSeat(instance.id, 'p', 'u', 3), unavailable, 'a script fails while Redis is down');
    await assert.rejects(store.createInstance(record()), unavailable);
    await redis.start();
    await storeAnswers(store);
    // The restarted Redis persisted nothing: it is empty, and its script cache too (ioredis loads them again).
    const again = record({ capacity: 1 });
    assert.equal(await store.createInstance(again, { userId: 'ann', ttlMs: 60_000 }), 'created');
    assert.equal(await store.claimSeat(again.id, 'peer-bob', 'bob', 1), 'full');
    assert.equal(await store.claimSeat(again.id, 'peer-ann', 'ann', 1), 'claimed');
    assert.equal((await store.seatCounts(again.id)).peers, 1);
  });

  it('closes twice without complaint, and refuses calls once closed', async () => {
    const store = await connect();
    await store.close();
    await store.close();
    await assert.rejects(store.listInstances(), StoreUnavailableError);
  });
});
