// End to end: data between Chromium pages through the reference server's SFU (topology="sfu").
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { E2eEnvironment, type E2ePage, TIMEOUT, uniqueLocation } from './harness.js';

interface Received {
  from: string;
  channel: string;
  kind: string;
  value: unknown;
}

describe('data through the SFU (<ir-world-instance topology="sfu">)', () => {
  let env: E2eEnvironment;

  before(async () => {
    env = await E2eEnvironment.start();
  });

  after(async () => {
    await env?.close();
  });

  /** Pages in one world instance, connected, each seeing all the others; returns their peerIDs. */
  async function joinAll(count: number): Promise<{ pages: E2ePage[]; ids: string[] }> {
    const location = uniqueLocation('sfu-data');
    const pages = await Promise.all(Array.from({ length: count }, () => env.openPage()));
    for (const [index, page] of pages.entries()) {
      await page.addWorld('world', {
        'location-id': location,
        'api-url': env.server.apiUrl,
        topology: 'sfu',
        'display-name': `P${index}`,
      });
      await collectMessages(page);
    }
    const snapshots = await Promise.all(pages.map((page) => page.waitForState('world', 'connected')));
    const ids = snapshots.map((snapshot) => snapshot.selfPeerID);
    assert.equal(new Set(snapshots.map((s) => s.instance?.id)).size, 1, 'all pages are in one instance');
    for (const [index, page] of pages.entries()) {
      for (const id of ids) if (id !== ids[index]) await page.waitForEvent('world', 'ir-peer-join', { peerID: id });
    }
    return { pages, ids };
  }

  /** Keeps every ir-message of the page's world element in `window.__received`, typed for the test. */
  async function collectMessages(page: E2ePage): Promise<void> {
    await page.page.evaluate(() => {
      const received: Received[] = [];
      (window as unknown as { __received: Received[] }).__received = received;
      const world = window.__irE2e?.elements.get('world');
      world?.addEventListener('ir-message', (event) => {
        const { from, channel, data } = (event as CustomEvent<{ from: string; channel: string; data: unknown }>).detail;
        const binary = data instanceof ArrayBuffer;
        received.push({
          from,
          channel,
          kind: binary ? 'ArrayBuffer' : typeof data,
          value: binary ? [...new Uint8Array(data)] : data,
        });
      });
    });
  }

  function received(page: E2ePage, channel: string): Promise<Received[]> {
    return page.page.evaluate(
      (channel) => (window as unknown as { __received: Received[] }).__received.filter((m) => m.channel === channel),
      channel,
    );
  }

  async function waitForMessages(page: E2ePage, channel: string, count: number, timeout: number = TIMEOUT.event) {
    try {
      await page.page.waitForFunction(
        ({ channel, count }) =>
          (window as unknown as { __received: Received[] }).__received.filter((m) => m.channel === channel).length >=
          count,
        { channel, count },
        { timeout, polling: 50 },
      );
    } catch (error) {
      const got = (await received(page, channel)).length;
      throw new Error(
        `${page.name}: ${got} of ${count} messages on "${channel}" arrived\n${await page.describe('world')}`,
        {
          cause: error,
        },
      );
    }
    return received(page, channel);
  }

  function send(page: E2ePage, data: unknown, options: Record<string, unknown>): Promise<void> {
    return page.page.evaluate(
      ({ data, options }) => {
        const world = window.__irE2e?.elements.get('world') as HTMLElement & {
          send(data: unknown, options: unknown): Promise<void>;
        };
        return world.send(data, options);
      },
      { data, options },
    );
  }

  it('delivers 1,000 reliable messages complete and in order', async (t) => {
    t.after(() => env.closePages());
    const {
      pages: [a, b],
      ids,
    } = await joinAll(2);
    await a!.page.evaluate(async () => {
      const world = window.__irE2e?.elements.get('world') as HTMLElement & {
        send(data: unknown, options: unknown): Promise<void>;
      };
      const sends: Promise<void>[] = [];
      for (let i = 0; i < 1000; i++) sends.push(world.send({ i }, { channel: 'seq', reliable: true }));
      await Promise.all(sends);
    });
    const messages = await waitForMessages(b!, 'seq', 1000, 30_000);
    assert.equal(messages.length, 1000, 'no message was duplicated');
    assert.deepEqual(
      messages.map((m) => (m.value as { i: number }).i),
      Array.from({ length: 1000 }, (_, i) => i),
      'in the order they were sent',
    );
    assert.ok(
      messages.every((m) => m.from === ids[0]),
      'every message says it came from A',
    );
  });

  it('delivers unreliable messages (all of them on loopback)', async (t) => {
    t.after(() => env.closePages());
    const {
      pages: [a, b],
    } = await joinAll(2);
    // A reliable message first: once it arrived, both directions of the path are up.
    await send(a!, 'ready', { channel: 'ready' });
    await waitForMessages(b!, 'ready', 1);
    for (let i = 0; i < 200; i++) await send(a!, i, { channel: 'lossy', reliable: false });
    await send(a!, 'done', { channel: 'done' });
    await waitForMessages(b!, 'done', 1);
    // Unreliable and reliable channels are not ordered with each other: give stragglers a moment.
    const messages = await waitForMessages(b!, 'lossy', 190, 5_000);
    assert.ok(messages.length <= 200, 'no message was duplicated');
    const values = new Set(messages.map((m) => m.value));
    assert.equal(values.size, messages.length, 'each message arrived once');
  });

  it('round-trips strings, JSON values and ArrayBuffers', async (t) => {
    t.after(() => env.closePages());
    const {
      pages: [a, b],
      ids,
    } = await joinAll(2);
    await send(a!, 'hello', { channel: 'kinds' });
    await send(a!, { a: [1, 'x', null, 2.5], b: { c: true }, e: '' }, { channel: 'kinds' });
    await a!.page.evaluate(() => {
      const world = window.__irE2e?.elements.get('world') as HTMLElement & {
        send(data: unknown, options: unknown): Promise<void>;
      };
      return world.send(new Uint8Array([1, 2, 3, 0, 255]).buffer, { channel: 'kinds' });
    });
    await send(a!, 42, { channel: 'kinds' });
    const messages = await waitForMessages(b!, 'kinds', 4);
    assert.deepEqual(
      messages.map(({ kind, value, from }) => ({ kind, value, from })),
      [
        { kind: 'string', value: 'hello', from: ids[0] },
        { kind: 'object', value: { a: [1, 'x', null, 2.5], b: { c: true }, e: '' }, from: ids[0] },
        { kind: 'ArrayBuffer', value: [1, 2, 3, 0, 255], from: ids[0] },
        { kind: 'number', value: 42, from: ids[0] },
      ],
    );
    // Too big for a data message: refused before it leaves the page.
    const refused = await a!.page.evaluate(async () => {
      const world = window.__irE2e?.elements.get('world') as HTMLElement & {
        send(data: unknown, options: unknown): Promise<void>;
      };
      try {
        await world.send(new ArrayBuffer(70 * 1024), { channel: 'kinds' });
        return null;
      } catch (error) {
        return (error as { code?: string }).code ?? String(error);
      }
    });
    assert.equal(refused, 'INVALID_ARGUMENT');
  });

  it('sends a message with `to` only to the addressed peer', async (t) => {
    t.after(() => env.closePages());
    const {
      pages: [a, b, c],
      ids,
    } = await joinAll(3);
    await send(a!, 'for B only', { channel: 'private', to: ids[1] });
    await send(a!, 'for everyone', { channel: 'public' });
    await waitForMessages(b!, 'public', 1);
    await waitForMessages(c!, 'public', 1);
    // The reliable channel is ordered: the addressed message came before the public one, or never.
    assert.deepEqual(
      (await received(b!, 'private')).map((m) => m.value),
      ['for B only'],
    );
    assert.deepEqual(await received(c!, 'private'), [], 'C did not get the message for B');
    assert.deepEqual(await received(a!, 'public'), [], 'a sender does not get its own message back');
  });
});
