// End to end: two Chromium pages in a P2P world instance exchange data straight over PeerJS.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { E2eEnvironment, type E2ePage, TIMEOUT, trackPeerConnections, uniqueLocation } from './harness.js';

/** A message as the receiving page saw it, with its data described so binary survives the trip here. */
interface Received {
  from: string;
  channel: string;
  kind: 'binary' | 'string' | 'json';
  value: unknown;
}

/** Records every `ir-message` of the element `key` with the data's kind (ArrayBuffer, string or JSON). */
async function recordMessages(page: E2ePage, key: string): Promise<void> {
  await page.page.evaluate((key) => {
    const element = window.__irE2e?.elements.get(key);
    if (!element) throw new Error(`no element ${key}`);
    const received: unknown[] = [];
    (window as unknown as { __received: unknown[] }).__received = received;
    element.addEventListener('ir-message', (event) => {
      const { from, channel, data } = (event as CustomEvent<{ from: string; channel: string; data: unknown }>).detail;
      if (data instanceof ArrayBuffer)
        received.push({ from, channel, kind: 'binary', value: [...new Uint8Array(data)] });
      else if (typeof data === 'string') received.push({ from, channel, kind: 'string', value: data });
      else received.push({ from, channel, kind: 'json', value: data });
    });
  }, key);
}

/** Waits until the page recorded `count` messages on `channel`; returns them. */
async function waitForMessages(page: E2ePage, channel: string, count: number, timeout: number = TIMEOUT.event) {
  try {
    await page.page.waitForFunction(
      ({ channel, count }) =>
        ((window as unknown as { __received?: { channel: string }[] }).__received ?? []).filter(
          (m) => m.channel === channel,
        ).length >= count,
      { channel, count },
      { timeout, polling: 50 },
    );
  } catch (error) {
    const got = await received(page, channel);
    throw new Error(`${page.name}: ${got.length} of ${count} messages on ${channel} arrived in ${timeout} ms`, {
      cause: error,
    });
  }
  return received(page, channel);
}

async function received(page: E2ePage, channel: string): Promise<Received[]> {
  return page.page.evaluate(
    (channel) =>
      ((window as unknown as { __received?: Received[] }).__received ?? []).filter((m) => m.channel === channel),
    channel,
  );
}

function openPeerConnections(page: E2ePage): Promise<number> {
  return page.page.evaluate(
    () =>
      (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.signalingState !== 'closed').length,
  );
}

describe('P2P data between two pages', () => {
  let env: E2eEnvironment;
  let first: E2ePage;
  let second: E2ePage;
  let firstID: string;
  let secondID: string;

  before(async () => {
    env = await E2eEnvironment.start();
    const options = { initScript: trackPeerConnections };
    [first, second] = await Promise.all([env.openPage(undefined, options), env.openPage(undefined, options)]);
    const attributes = { 'location-id': uniqueLocation('p2p-data'), 'api-url': env.server.apiUrl, topology: 'p2p' };
    await first.addWorld('world', { ...attributes, 'display-name': 'Ada' });
    const a = await first.waitForState('world', 'connected');
    await second.addWorld('world', { ...attributes, 'display-name': 'Grace' });
    const b = await second.waitForState('world', 'connected');
    assert.equal(a.instance?.p2p, true, 'the instance is P2P');
    assert.equal(b.instance?.id, a.instance?.id, 'both pages are in the same instance');
    firstID = a.selfPeerID;
    secondID = b.selfPeerID;
    await first.waitForEvent('world', 'ir-peer-join', { peerID: secondID });
    await Promise.all([recordMessages(first, 'world'), recordMessages(second, 'world')]);
  });

  after(async () => {
    await env?.close();
  });

  it('delivers 1,000 reliable messages complete and in order', async () => {
    await first.page.evaluate(async () => {
      const world = window.__irE2e?.elements.get('world') as HTMLElement & {
        send(data: unknown, options?: object): Promise<void>;
      };
      for (let i = 0; i < 1000; i++) await world.send({ i }, { channel: 'sequence', reliable: true });
    });
    const messages = await waitForMessages(second, 'sequence', 1000, 30_000);
    assert.equal(messages.length, 1000, 'nothing was duplicated');
    assert.deepEqual(
      messages.map((m) => (m.value as { i: number }).i),
      Array.from({ length: 1000 }, (_, i) => i),
      'every message arrived, in order',
    );
    assert.ok(messages.every((m) => m.from === firstID && m.kind === 'json'));
  });

  it('delivers unreliable messages', async () => {
    await second.page.evaluate(async () => {
      const world = window.__irE2e?.elements.get('world') as HTMLElement & {
        send(data: unknown, options?: object): Promise<void>;
      };
      for (let i = 0; i < 50; i++) await world.send(`tick ${i}`, { channel: 'ticks', reliable: false });
    });
    const messages = await waitForMessages(first, 'ticks', 1);
    assert.ok(messages.every((m) => m.from === secondID && m.kind === 'string' && /^tick \d+$/.test(String(m.value))));
    assert.deepEqual(
      [await openPeerConnections(first), await openPeerConnections(second)],
      [1, 1],
      'each page reaches the other over one RTCPeerConnection, carrying the reliable and the unordered channel',
    );
  });

  it('round-trips binary, JSON and strings in both directions', async () => {
    const payload = { text: 'héllo', list: [1, 2.5, true, null, 'x'], nested: { deep: { ok: true } } };
    for (const [from, to, fromID] of [
      [first, second, firstID],
      [second, first, secondID],
    ] as const) {
      await from.page.evaluate(async (payload) => {
        const world = window.__irE2e?.elements.get('world') as HTMLElement & {
          send(data: unknown, options?: object): Promise<void>;
        };
        await world.send(new Uint8Array([0, 1, 2, 254, 255]).buffer, { channel: 'kinds' });
        await world.send(payload, { channel: 'kinds' });
        await world.send('plain text', { channel: 'kinds' });
        await world.send({ when: 'default channel' });
      }, payload);
      const messages = await waitForMessages(to, 'kinds', 3);
      assert.deepEqual(
        messages.slice(-3),
        [
          { from: fromID, channel: 'kinds', kind: 'binary', value: [0, 1, 2, 254, 255] },
          { from: fromID, channel: 'kinds', kind: 'json', value: payload },
          { from: fromID, channel: 'kinds', kind: 'string', value: 'plain text' },
        ],
        `${to.name} got what ${from.name} sent`,
      );
      const defaults = await waitForMessages(to, 'default', 1);
      assert.deepEqual(defaults.at(-1)?.value, { when: 'default channel' });
      await to.page.evaluate(() => {
        (window as unknown as { __received: unknown[] }).__received.length = 0;
      });
    }
  });

  it('refuses oversized messages with INVALID_ARGUMENT and stays connected', async () => {
    const error = await first.page.evaluate(async () => {
      const world = window.__irE2e?.elements.get('world') as HTMLElement & {
        send(data: unknown, options?: object): Promise<void>;
      };
      try {
        await world.send(new Uint8Array(200_000).buffer, { channel: 'big' });
        return null;
      } catch (error) {
        return (error as { code?: string }).code ?? String(error);
      }
    });
    assert.equal(error, 'INVALID_ARGUMENT');
    assert.equal((await first.snapshot('world')).state, 'connected');
  });
});
