/** The idle reaper keeps trying when the store is out of reach (a Redis outage) instead of giving up. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdleReaper } from '../../src/server/instance/idle-reaper.js';
import { createLogger } from '../../src/server/logger.js';
import { MemoryStore } from '../../src/server/store/memory-store.js';
import { eventually } from './helpers.js';
import { record } from './store-contract.js';

describe('IdleReaper', () => {
  it('ends an idle instance once the store answers again, after checks that failed', async () => {
    const store = new MemoryStore();
    let down = true;
    let failures = 0;
    // The store as a Redis outage leaves it: every call rejects until it is back.
    const outage = new Proxy(store, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (down) {
            failures++;
            return Promise.reject(new Error('the store cannot be reached'));
          }
          return value.apply(target, args);
        };
      },
    });
    const instance = record();
    assert.equal(await store.createInstance(instance), 'created');
    const ended: string[] = [];
    const reaper = new IdleReaper({
      store: outage,
      graceMs: 50,
      log: createLogger('silent'),
      peersIn: () => 0,
      end: async (id) => {
        await outage.endInstance(id);
        ended.push(id);
      },
    });
    try {
      reaper.schedule(instance.id);
      await eventually(() => failures >= 3, 'the checks to fail a few times while the store is down');
      down = false;
      await eventually(() => ended.includes(instance.id), 'the idle instance to end once the store is back');
      assert.equal(await store.getInstance(instance.id), null);
    } finally {
      reaper.close();
    }
  });

  it('waits out the latest of the reservations it is told of before it asks the store', async () => {
    const store = new MemoryStore();
    const asked: number[] = [];
    const counting = new Proxy(store, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (name !== 'seatCounts' || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          asked.push(Date.now());
          return value.apply(target, args);
        };
      },
    });
    const instance = record();
    assert.equal(await store.createInstance(instance), 'created');
    const ended: string[] = [];
    const reaper = new IdleReaper({
      store: counting,
      graceMs: 20,
      log: createLogger('silent'),
      peersIn: () => 0,
      end: async (id) => {
        await store.endInstance(id);
        ended.push(id);
      },
    });
    try {
      const start = Date.now();
      reaper.reservedUntil(instance.id, start + 60);
      reaper.reservedUntil(instance.id, start + 250);
      // An earlier deadline told later does not bring the look forward.
      reaper.reservedUntil(instance.id, start + 30);
      await eventually(() => ended.includes(instance.id), 'the instance to end once its reservations are over');
      assert.ok(asked.length > 0, 'the store was asked before the instance ended');
      assert.ok(
        asked[0]! >= start + 250,
        `the store was first asked ${asked[0]! - start} ms in, before the last deadline`,
      );
    } finally {
      reaper.close();
    }
  });
});
