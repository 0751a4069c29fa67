import { randomUUID } from 'node:crypto';
import { afterEach } from 'node:test';
import { RedisStore } from '../../src/server/index.js';
import { redisForThisFile } from './redis-server.js';
import { describeStoreContract } from './store-contract.js';

const redis = redisForThisFile();

// A test that fails half-way leaves its store open; an open connection would keep the file running.
const opened: RedisStore[] = [];
afterEach(() => Promise.all(opened.splice(0).map((store) => store.close())));

// Each test has its own key prefix: nothing one leaves behind is seen by another.
describeStoreContract('RedisStore', async () => {
  const store = await RedisStore.connect(redis.url, { prefix: `test:${randomUUID()}:` });
  opened.push(store);
  return store;
});
