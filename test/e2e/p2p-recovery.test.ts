// End to end: a P2P page whose PeerJS signaling socket drops opens a new one by itself (the adapter's
// peer.reconnect() with backoff) and signaling works again: a page joining afterwards connects to it
// both ways, which needs the PeerServer to relay offers and answers over the new socket, and the
// data connection made before the drop still carries messages.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { E2eEnvironment, type E2ePage, TIMEOUT, uniqueLocation } from './harness.js';

/** An init script: keeps every WebSocket of the page whose URL contains `/peerjs` in `window.__peerjsSockets`. */
function keepPeerJsSockets(): void {
  const sockets: WebSocket[] = [];
  (window as unknown as { __peerjsSockets: WebSocket[] }).__peerjsSockets = sockets;
  const handler: ProxyHandler<typeof WebSocket> = {};
  // Assigned, not written as a method: the page has no `__name` helper for named functions.
  handler.construct = (target, args) => {
    const socket = Reflect.construct(target, args) as WebSocket;
    if (String(args[0]).includes('/peerjs')) sockets.push(socket);
    return socket;
  };
  window.WebSocket = new Proxy(window.WebSocket, handler);
}

/** The page's PeerJS sockets, oldest first: their URL's `id` and readyState. */
async function peerJsSockets(page: E2ePage): Promise<{ id: string | null; readyState: number }[]> {
  return page.page.evaluate(() =>
    (window as unknown as { __peerjsSockets: WebSocket[] }).__peerjsSockets.map((socket) => ({
      id: new URL(socket.url).searchParams.get('id'),
      readyState: socket.readyState,
    })),
  );
}

/** Records every `ir-message` of the element `world` in `window.__received`. */
async function recordMessages(page: E2ePage): Promise<void> {
  await page.page.evaluate(() => {
    const received: unknown[] = [];
    (window as unknown as { __received: unknown[] }).__received = received;
    window.__irE2e?.elements.get('world')?.addEventListener('ir-message', (event) => {
      const { from, channel, data } = (event as CustomEvent<{ from: string; channel: string; data: unknown }>).detail;
      received.push({ from, channel, data });
    });
  });
}

async function send(page: E2ePage, channel: string, data: unknown): Promise<void> {
  await page.page.evaluate(
    async ({ channel, data }) => {
      const world = window.__irE2e?.elements.get('world') as HTMLElement & {
        send(data: unknown, options?: object): Promise<void>;
      };
      await world.send(data, { channel, reliable: true });
    },
    { channel, data },
  );
}

/** Waits until `to` received `data` on `channel` from `fromID`; fails saying who did not hear whom. */
async function waitForMessage(to: E2ePage, channel: string, fromID: string, data: unknown): Promise<void> {
  try {
    await to.page.waitForFunction(
      ({ channel, fromID, data }) =>
        (
          (window as unknown as { __received?: { from: string; channel: string; data: unknown }[] }).__received ?? []
        ).some((m) => m.channel === channel && m.from === fromID && JSON.stringify(m.data) === JSON.stringify(data)),
      { channel, fromID, data },
      { timeout: TIMEOUT.event, polling: 50 },
    );
  } catch (error) {
    throw new Error(
      `${to.name} did not receive ${JSON.stringify(data)} on ${channel} from ${fromID} within ${TIMEOUT.event} ms\n${await to.describe('world')}`,
      { cause: error },
    );
  }
}

describe('P2P recovery after the PeerJS signaling socket drops', () => {
  let env: E2eEnvironment;
  let a: E2ePage;
  let b: E2ePage;
  let aID: string;
  let bID: string;
  let attributes: Record<string, string>;

  before(async () => {
    env = await E2eEnvironment.start();
    const open = () => env.openPage(undefined, { initScript: keepPeerJsSockets });
    [a, b] = await Promise.all([open(), open()]);
    attributes = { 'location-id': uniqueLocation('p2p-recovery'), 'api-url': env.server.apiUrl, topology: 'p2p' };
    await a.addWorld('world', { ...attributes, 'display-name': 'Ada' });
    const first = await a.waitForState('world', 'connected');
    await b.addWorld('world', { ...attributes, 'display-name': 'Grace' });
    const second = await b.waitForState('world', 'connected');
    assert.equal(first.instance?.p2p, true, 'the instance is P2P');
    assert.equal(second.instance?.id, first.instance?.id, 'both pages are in the same instance');
    aID = first.selfPeerID;
    bID = second.selfPeerID;
    await a.waitForEvent('world', 'ir-peer-join', { peerID: bID });
    await Promise.all([recordMessages(a), recordMessages(b)]);
  });

  after(async () => {
    await env?.close();
  });

  it('exchanges messages before the drop', async () => {
    await send(a, 'before', { n: 1 });
    await waitForMessage(b, 'before', aID, { n: 1 });
    await send(b, 'before', { n: 2 });
    await waitForMessage(a, 'before', bID, { n: 2 });
  });

  it('opens a new PeerJS socket with the same id after the old one is closed', async () => {
    const sockets = await peerJsSockets(a);
    assert.equal(sockets.length, 1, 'page A opened one PeerJS socket');
    assert.equal(sockets[0]?.readyState, 1, "page A's PeerJS socket is open");
    await a.page.evaluate(() => (window as unknown as { __peerjsSockets: WebSocket[] }).__peerjsSockets[0]?.close());
    try {
      await a.page.waitForFunction(
        () => {
          const all = (window as unknown as { __peerjsSockets: WebSocket[] }).__peerjsSockets;
          return (
            all.length >= 2 && all[0]?.readyState === WebSocket.CLOSED && all.at(-1)?.readyState === WebSocket.OPEN
          );
        },
        undefined,
        { timeout: TIMEOUT.event, polling: 50 },
      );
    } catch (error) {
      throw new Error(
        `page A opened no new PeerJS socket within ${TIMEOUT.event} ms of closing its first: ${JSON.stringify(await peerJsSockets(a))}\n${await a.describe('world')}`,
        { cause: error },
      );
    }
    const now = await peerJsSockets(a);
    assert.equal(now.at(-1)?.id, sockets[0]?.id, 'the new socket claims the same PeerJS id');
    assert.equal((await a.snapshot('world')).state, 'connected', 'the drop did not disconnect the world');
  });

  it('connects a page that joins after the drop to A, both ways', async () => {
    const c = await env.openPage(undefined, { initScript: keepPeerJsSockets });
    await c.addWorld('world', { ...attributes, 'display-name': 'Linus' });
    const third = await c.waitForState('world', 'connected');
    const cID = third.selfPeerID;
    await recordMessages(c);
    assert.ok(
      third.peers.some((peer) => peer.peerID === aID),
      'C sees A in the instance',
    );
    await a.waitForEvent('world', 'ir-peer-join', { peerID: cID });
    // Reliable messages wait for the data connection, so these arrive once A and C are paired.
    await send(a, 'after', { from: 'A' });
    await waitForMessage(c, 'after', aID, { from: 'A' });
    await send(c, 'after', { from: 'C' });
    await waitForMessage(a, 'after', cID, { from: 'C' });
  });

  it('still carries A↔B data over the connection made before the drop', async () => {
    await send(a, 'still', { n: 3 });
    await waitForMessage(b, 'still', aID, { n: 3 });
    await send(b, 'still', { n: 4 });
    await waitForMessage(a, 'still', bID, { n: 4 });
  });
});
