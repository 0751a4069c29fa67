import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActionCache } from '../../src/server/instance/action-cache.js';

const HOST = 'host';
const joined = (peerID: string) => ({ type: 'ee.engine.network.PEER_JOINED', peerID, $peer: HOST, $cache: true });

describe('ActionCache', () => {
  it('replaces a peer’s previous action of a type when asked to (removePrevious)', () => {
    const cache = new ActionCache();
    cache.add({ type: 'app.pose', $peer: 'a', x: 1, $cache: { removePrevious: true } });
    cache.add({ type: 'app.pose', $peer: 'b', x: 2, $cache: { removePrevious: true } });
    cache.add({ type: 'app.pose', $peer: 'a', x: 3, $cache: { removePrevious: true } });
    assert.deepEqual(
      cache.list().map((a) => [a.$peer, a.x]),
      [
        ['b', 2],
        ['a', 3],
      ],
    );
  });

  it('drops a departed peer’s actions and its PEER_JOINED, keeping the others', () => {
    const cache = new ActionCache();
    cache.add(joined('a'));
    cache.add(joined('b'));
    cache.add({ type: 'app.x', $peer: 'a', $cache: true });
    cache.add({ type: 'app.y', $peer: 'b', $cache: true });
    cache.removePeer('a');
    assert.deepEqual(
      cache.list().map((a) => a.type),
      ['ee.engine.network.PEER_JOINED', 'app.y'],
    );
    assert.equal(cache.list()[0]?.peerID, 'b');
  });

  it('bounds a flooding peer by its own oldest actions, never by others’ presence', () => {
    const cache = new ActionCache();
    cache.add(joined('quiet'));
    cache.add({ type: 'app.quiet', $peer: 'quiet', $cache: true });
    for (let i = 0; i < 1000; i++) cache.add({ type: 'app.flood', $peer: 'loud', i, $cache: true });
    const loud = cache.list().filter((a) => a.$peer === 'loud');
    assert.equal(loud.length, 256);
    assert.equal(loud.at(-1)?.i, 999, 'the newest actions stay');
    assert.ok(cache.list().some((a) => a.type === 'ee.engine.network.PEER_JOINED'));
    assert.ok(cache.list().some((a) => a.type === 'app.quiet'));
  });

  it('bounds a peer’s cached bytes', () => {
    const cache = new ActionCache();
    for (let i = 0; i < 20; i++) cache.add({ type: 'app.big', $peer: 'a', blob: 'x'.repeat(100_000), $cache: true });
    assert.ok(cache.size <= 11, `kept ${cache.size} actions of 100 kB`);
  });
});
