/** The idle reaper: it keeps trying when the store is out of reach, and waits out reservations. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdleReaper } from '../../src/server/instance/idle-reaper.js';
import { createLogger } from '../../src/server/logger.js';
import { MemoryStore } from '../../src/server/store/memory-store.js';
import type { Store } from '../../src/server/store/store.js';
import { eventually } from './helpers.js';
import { record } from './store-contract.js';

/** `store` with each method call passed through `around`, which runs the real call with `call()`. */
function intercepted(store: Store, around: (name: string | symbol, call: () => unknown) => unknown): Store {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => around(name, () => value.apply(target, args));
    },
  });
}

/** A reaper over `store` with no peers anywhere; the ids it ends go to `ended`. */
function reaperOver(store: Store, graceMs: number, ended: string[]): IdleReaper {
  return new IdleReaper({
    store,
    graceMs,
    log: createLogger('silent'),
    peersIn: () => 0,
    end: async (id) => {
      await store.endInstance(id);
      ended.push(id);
    },
  });
}

describe('IdleReaper', () => {
  it('ends an idle instance once the store answers again, after checks that failed', async () => {
    const store = new MemoryStore();
    let down = true;
    let failures = 0;
    // The store as a Redis outage leaves it: every call rejects until it is back.
    const outage = intercepted(store, (_name, call) => {
      if (!down) return call();
      failures++;
      return Promise.reject(new Error('the store cannot be reached'));
    });
    const instance = record();
    assert.equal(await store.createInstance(instance), 'created');
    const ended: string[] = [];
    const reaper = reaperOver(outage, 50, ended);
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
    const counting = intercepted(store, (name, call) => {
      if (name === 'seatCounts') asked.push(Date.now());
      return call();
    });
    const instance = record();
    assert.equal(await store.createInstance(instance), 'created');
    const ended: string[] = [];
    const reaper = reaperOver(counting, 20, ended);
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
