/**
 * Faults with real processes and a real network in between (`npm run test:faults`): the server
 * killed and started again, one page's signaling cut while its media flows, a page's network
 * blocked and unblocked. Each test prints what it measured (`fault:` lines) for docs/reliability.md.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { TokenService } from '../../src/server/auth/token-service.js';
import { E2E_CONFIG, E2eEnvironment, type E2ePage, TIMEOUT, uniqueLocation, until } from '../e2e/harness.js';
import { countConnections } from './page-counters.js';
import { freePort, ServerProcess } from './server-process.js';
import { TcpProxy } from './tcp-proxy.js';

/** The fault server's secret, so a test can mint tokens of its own (with a short life). */
const JWT_SECRET = randomBytes(24).toString('base64url');

function report(line: string): void {
  console.log(`fault: ${line}`);
}

/** Resolves once every page's world `key` is connected and sees exactly the others. */
async function allConnectedTogether(pages: E2ePage[], key: string, timeout: number = TIMEOUT.connected) {
  await until(
    `${pages.map((p) => p.name).join(', ')} connected in one instance and seeing each other`,
    async () => {
      const snapshots = await Promise.all(pages.map((page) => page.snapshot(key)));
      const ids = new Set(snapshots.map((s) => s.instance?.id));
      return (
        snapshots.every((s) => s.state === 'connected' && s.peers.length === pages.length - 1) &&
        ids.size === 1 &&
        !ids.has(undefined)
      );
    },
    async () => (await Promise.all(pages.map((page) => page.describe(key)))).join('\n'),
    timeout,
  );
}

interface TileView {
  video: string | null;
  decoding: boolean;
}

/** The tile `peerID` shows in the page's media channel `key`, or null. */
function tileOf(page: E2ePage, key: string, peerID: string): Promise<TileView | null> {
  return page.page.evaluate(
    ({ key, peerID }) => {
      const media = window.__irE2e?.elements.get(key);
      const tile = media?.shadowRoot?.querySelector(`li[part~="tile"][data-peer-id="${peerID}"]`);
      if (!tile) return null;
      const video = tile.querySelector('video');
      return { video: tile.getAttribute('data-video'), decoding: (video?.videoWidth ?? 0) > 0 };
    },
    { key, peerID },
  );
}

function eventCount(page: E2ePage, key: string): Promise<number> {
  return page.page.evaluate((key) => window.__irE2e?.events.get(key)?.length ?? 0, key);
}

/** Waits for an `ir-state-change` to `state` among the element's events after the first `from`. */
async function stateAfter(page: E2ePage, key: string, from: number, state: string): Promise<void> {
  await page.waitUntil(
    key,
    `state ${state} after event ${from}`,
    ({ key, from, state }) =>
      window.__irE2e?.events
        .get(key)
        ?.slice(from)
        .some((event) => event.type === 'ir-state-change' && event.detail.state === state) ?? false,
    { key, from, state },
    TIMEOUT.connected,
  );
}

function localTracks(page: E2ePage, key: string): Promise<{ id: string; readyState: string }[]> {
  return page.page.evaluate((key) => {
    const media = window.__irE2e?.elements.get(key) as (HTMLElement & { localStream: MediaStream | null }) | undefined;
    return (media?.localStream?.getTracks() ?? []).map((t) => ({ id: t.id, readyState: t.readyState }));
  }, key);
}

describe('faults', () => {
  let env: E2eEnvironment;
  let proxy: TcpProxy;

  before(async () => {
    proxy = await TcpProxy.start();
    // Instance sockets are advertised through the proxy too, so cutting it cuts the signaling.
    env = await E2eEnvironment.start(E2E_CONFIG, { publicAddress: `127.0.0.1:${proxy.port}`, jwtSecret: JWT_SECRET });
    proxy.forwardTo(env.server.port);
  });

  after(async () => {
    await env?.close();
    await proxy?.close();
  });

  it('SIGKILL of the server, started again on its port: both pages are back together', async () => {
    const port = await freePort();
    let server = await ServerProcess.start(port);
    try {
      const pages = [await env.openPage(`${server.url}/`), await env.openPage(`${server.url}/`)];
      const locationId = uniqueLocation('sigkill');
      for (const page of pages) await page.addWorld('w', { 'location-id': locationId });
      await allConnectedTogether(pages, 'w');
      const before = (await pages[0]?.snapshot('w'))?.instance?.id;

      await server.kill('SIGKILL');
      for (const page of pages) await page.waitForState('w', 'reconnecting');
      server = await ServerProcess.start(port);
      const restarted = Date.now();
      await allConnectedTogether(pages, 'w');
      const recovered = Date.now() - restarted;
      const after = (await pages[0]?.snapshot('w'))?.instance?.id;
      assert.notEqual(after, before, 'the restarted server has a new instance');
      for (const page of pages) {
        const states = (await page.events('w')).filter((e) => e.type === 'ir-state-change').map((e) => e.detail.state);
        assert.ok(!states.includes('failed'), `${page.name} went through failed: ${states.join(' → ')}`);
      }
      report(`SIGKILL + restart: both pages connected together again ${recovered} ms after the server answered`);
      await env.closePages();
    } finally {
      await server.kill('SIGKILL');
    }
  });

  for (const topology of ['sfu', 'p2p'] as const) {
    it(`one page's signaling cut while its media flows (${topology}): it resumes with the same media, and the other page sees no one leave`, async () => {
      const channelId = uniqueLocation(`cut-${topology}`);
      const pages = [
        await env.openPage(`${proxy.url}/`, { initScript: countConnections }),
        await env.openPage(`${proxy.url}/`),
      ];
      const [a, b] = pages as [E2ePage, E2ePage];
      for (const page of pages) {
        await page.addMediaChannel('m', { 'channel-id': channelId, audio: true, video: true, topology });
      }
      for (const page of pages) await page.waitForState('m', 'connected');
      const [aID, bID] = await Promise.all(
        pages.map((page) =>
          page.page.evaluate(() => {
            const media = window.__irE2e?.elements.get('m');
            return media?.shadowRoot?.querySelector('li[part~="tile"][data-self]')?.getAttribute('data-peer-id') ?? '';
          }),
        ),
      );
      assert.ok(aID && bID, 'both pages show their own tile');
      const seesVideo = (viewer: E2ePage, peerID: string, what: string) =>
        until(
          what,
          async () => (await tileOf(viewer, 'm', peerID))?.decoding === true,
          async () => viewer.describe('m'),
        );
      await seesVideo(b, aID, "B decodes A's video");
      await seesVideo(a, bID, "A decodes B's video");
      const tracksBefore = await localTracks(a, 'm');
      const connectionsBefore = await a.page.evaluate(() => window.__open());

      const seen = await eventCount(a, 'm');
      const seenAtB = await eventCount(b, 'm');
      const cutAt = Date.now();
      const cut = proxy.drop(`peerID=${aID}`);
      assert.ok(cut >= 1, "the proxy found A's instance socket");
      await stateAfter(a, 'm', seen, 'reconnecting');
      await stateAfter(a, 'm', seen, 'connected');
      const reconnected = Date.now() - cutAt;
      await seesVideo(b, aID, "B decodes A's video again");
      await seesVideo(a, bID, "A decodes B's video again");
      const flowing = Date.now() - cutAt;
      const tracksAfter = await localTracks(a, 'm');
      assert.deepEqual(tracksAfter, tracksBefore, "A's own tracks are the same ones, still live");
      assert.ok(tracksAfter.every((t) => t.readyState === 'live'));
      // Tier 1: the socket alone came back. No RTCPeerConnection was made or closed, and B saw nothing.
      const connectionsAfter = await a.page.evaluate(() => window.__open());
      assert.deepEqual(
        { made: connectionsAfter.made, pcs: connectionsAfter.pcs },
        { made: connectionsBefore.made, pcs: connectionsBefore.pcs },
        "A's media connections are the same ones",
      );
      const reasons = (await a.events('m'))
        .slice(seen)
        .filter((e) => e.type === 'ir-state-change')
        .map((e) => `${e.detail.state}${e.detail.reason ? ` (${e.detail.reason})` : ''}`);
      assert.equal(reasons.at(-1), 'connected (resumed)', `A resumed: ${reasons.join(' → ')}`);
      const atB = (await b.events('m')).slice(seenAtB).map((e) => e.type);
      assert.ok(
        !atB.includes('ir-participant-leave') && !atB.includes('ir-participant-join'),
        `B saw A neither leave nor join again: ${atB.join(', ')}`,
      );
      report(
        `signaling cut (${topology}, audio + video): resumed in ${reconnected} ms with the same ${connectionsAfter.pcs} RTCPeerConnections, video decoding both ways after ${flowing} ms`,
      );
      await env.closePages();
    });
  }

  it('a token that expired mid-session: the cut socket resumes on a fresh one from the tokenProvider', async () => {
    const locationId = uniqueLocation('expiry');
    const tokens = new TokenService(JWT_SECRET);
    const user = { id: randomUUID(), name: 'Expiring' };
    const a = await env.openPage(`${proxy.url}/`);
    const b = await env.openPage(`${env.server.url}/`);
    // The first token lives 3 s (long enough to join); the ones after it, an hour.
    let minted = 0;
    const firstExpiry = Math.floor(Date.now() / 1000) + 3;
    await a.page.exposeFunction('mintToken', () => tokens.sign(user, ++minted === 1 ? firstExpiry : '1h'));
    await a.addWorld('w', { 'location-id': locationId }, { tokenProvider: 'mintToken' });
    await b.addWorld('w', { 'location-id': locationId });
    await allConnectedTogether([a, b], 'w');
    const { selfPeerID } = await a.snapshot('w');
    const mintedToJoin = minted;
    // The outage being simulated: the session outlives its token.
    await until(
      'the first token to expire',
      async () => Date.now() > firstExpiry * 1000 + 500,
      async () => `now ${Date.now()}, expiry ${firstExpiry * 1000}`,
    );

    const seenByA = await eventCount(a, 'w');
    const seenByB = await eventCount(b, 'w');
    const cutAt = Date.now();
    assert.ok(proxy.drop(`peerID=${selfPeerID}`) >= 1, "the proxy found A's instance socket");
    await stateAfter(a, 'w', seenByA, 'connected');
    const back = Date.now() - cutAt;
    const states = (await a.events('w'))
      .slice(seenByA)
      .filter((e) => e.type === 'ir-state-change')
      .map((e) => `${e.detail.state}${e.detail.reason ? ` (${e.detail.reason})` : ''}`);
    assert.equal(states.at(-1), 'connected (resumed)', `A resumed: ${states.join(' → ')}`);
    assert.ok(minted > mintedToJoin, 'the resume asked the tokenProvider for a fresh token');
    const atB = (await b.events('w')).slice(seenByB).map((e) => e.type);
    assert.ok(!atB.includes('ir-peer-leave'), `B saw A leave: ${atB.join(', ')}`);
    report(`token expired mid-session, signaling cut: resumed on a fresh token in ${back} ms`);
    await env.closePages();
  });

  it("a page's network blocked, then back: it resumes, and messages flow again", async () => {
    const locationId = uniqueLocation('offline');
    const pages = [await env.openPage(`${proxy.url}/`), await env.openPage(`${env.server.url}/`)];
    const [a, b] = pages as [E2ePage, E2ePage];
    for (const page of pages) await page.addWorld('w', { 'location-id': locationId });
    await allConnectedTogether(pages, 'w');

    // The network goes: DevTools offline emulation, and the path to the server cut.
    const cdp = await a.page.context().newCDPSession(a.page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: true,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    const seen = await eventCount(a, 'w');
    // A's traffic only: B's instance socket also passes the proxy (the advertised address).
    const bID = (await b.snapshot('w')).selfPeerID;
    proxy.block((head) => !head.includes(`peerID=${bID}`));
    await stateAfter(a, 'w', seen, 'reconnecting');
    // The outage itself lasts 3 s (the fault being simulated, not a wait for some state): long
    // enough for several tries to fail while the network is down.
    const downFor = 3_000;
    await new Promise((resolve) => setTimeout(resolve, downFor));
    const back = Date.now();
    proxy.unblock();
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await allConnectedTogether(pages, 'w');
    const recovered = Date.now() - back;
    await a.page.evaluate(() => {
      const world = window.__irE2e?.elements.get('w') as unknown as { send(data: unknown): Promise<void> } | undefined;
      if (!world) throw new Error('no world element');
      return world.send('back');
    });
    const message = await b.waitForEvent('w', 'ir-message');
    assert.equal(message.detail.data, 'back');
    const changes = (await a.events('w')).slice(seen).filter((e) => e.type === 'ir-state-change');
    const attempts = changes.filter((e) => e.detail.state === 'reconnecting').map((e) => e.detail.attempt);
    // 3 s is well within the server's hold: the same peer came back, and B saw no one leave.
    assert.equal(changes.at(-1)?.detail.reason, 'resumed', 'A resumed');
    const atB = (await b.events('w')).map((e) => e.type);
    assert.ok(!atB.includes('ir-peer-leave'), `B saw A leave: ${atB.join(', ')}`);
    report(`network down ${downFor} ms: resumed ${recovered} ms after it came back (tries ${attempts.join(', ')})`);
    await env.closePages();
  });
});
