// End to end: two pages in an SFU media channel: a screen share comes and goes, a page that
// reconnects publishes its tracks again, and a failed transport is re-created.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { E2eEnvironment, type E2ePage, TIMEOUT, uniqueLocation } from './harness.js';
import { recordPeerConnections } from './peer-connections.js';

/** What one page shows of the other participant: which tracks it has and whether their videos decode. */
interface RemoteView {
  peerID: string;
  audio: boolean;
  video: string | null;
  screen: boolean;
  videoDecoding: boolean;
  screenDecoding: boolean;
}

describe('tracks through the SFU (<ir-media-channel>)', () => {
  let env: E2eEnvironment;
  let first: E2ePage;
  let second: E2ePage;

  before(async () => {
    env = await E2eEnvironment.start();
    const channelId = uniqueLocation('sfu-tracks');
    const open = () => env.openPage(undefined, { initScript: recordPeerConnections });
    [first, second] = await Promise.all([open(), open()]);
    for (const page of [first, second]) {
      await page.addMediaChannel('media', {
        'channel-id': channelId,
        'api-url': env.server.apiUrl,
        topology: 'sfu',
        audio: true,
        video: true,
      });
    }
    await Promise.all([first.waitForState('media', 'connected'), second.waitForState('media', 'connected')]);
  });

  after(async () => {
    await env?.close();
  });

  function remote(page: E2ePage): Promise<RemoteView | null> {
    return page.page.evaluate(() => {
      const media = window.__irE2e?.elements.get('media') as
        | (HTMLElement & {
            participants: ReadonlyMap<
              string,
              { peerID: string; audio?: MediaStreamTrack; video?: MediaStreamTrack; screen?: MediaStreamTrack }
            >;
          })
        | undefined;
      const [p] = [...(media?.participants.values() ?? [])];
      if (!p) return null;
      // No named helpers in here: the page has no `__name` for them.
      // The camera and a shared screen are separate tiles of the same peer.
      const widths: Record<string, number> = {};
      for (const part of ['video', 'screen']) {
        const selector = `li[part~="tile"][data-peer-id="${p.peerID}"] video[part="${part}"]`;
        widths[part] = media?.shadowRoot?.querySelector<HTMLVideoElement>(selector)?.videoWidth ?? 0;
      }
      return {
        peerID: p.peerID,
        audio: p.audio?.readyState === 'live',
        video: p.video?.id ?? null,
        screen: p.screen !== undefined,
        videoDecoding: (widths.video ?? 0) > 0,
        screenDecoding: (widths.screen ?? 0) > 0,
      };
    });
  }

  async function waitForRemote(page: E2ePage, what: string, check: (view: RemoteView) => boolean): Promise<RemoteView> {
    const deadline = Date.now() + TIMEOUT.event;
    let view: RemoteView | null = null;
    while (Date.now() < deadline) {
      view = await remote(page);
      if (view && check(view)) return view;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(
      `${page.name}: ${what} never showed; last view ${JSON.stringify(view)}\n${await page.describe('media')}`,
    );
  }

  function call(page: E2ePage, method: 'startScreenShare' | 'stopScreenShare' | 'reconnect'): Promise<void> {
    return page.page.evaluate(async (method) => {
      const media = window.__irE2e?.elements.get('media') as
        | (HTMLElement & Record<string, () => Promise<void>>)
        | undefined;
      await media?.[method]?.();
    }, method);
  }

  it('shows a screen share while it lasts, the camera still decoding', async () => {
    await waitForRemote(second, 'the camera decoding', (v) => v.audio && v.videoDecoding && !v.screen);
    await call(first, 'startScreenShare');
    await waitForRemote(second, 'the screen decoding', (v) => v.screenDecoding && v.videoDecoding);
    await call(first, 'stopScreenShare');
    await waitForRemote(second, 'the screen gone, the camera and microphone still there', (v) => {
      return !v.screen && v.videoDecoding && v.audio;
    });
  });

  it('publishes again after a reconnect', async () => {
    const before = await waitForRemote(first, 'the camera of the second page', (v) => v.videoDecoding);
    await call(second, 'reconnect');
    await second.waitForState('media', 'connected');
    const after = await waitForRemote(
      first,
      'a new camera track of the second page, decoding',
      (v) => v.video !== before.video && v.videoDecoding && v.audio,
    );
    assert.equal(after.peerID, before.peerID, 'the same peer, back with new tracks');
  });

  /**
   * Makes the page's send (or recv) transport report `failed`, as ICE or DTLS would: the kit's
   * RTCPeerConnection says so and fires the event mediasoup-client listens to.
   */
  function failTransport(page: E2ePage, direction: 'sendonly' | 'recvonly'): Promise<number> {
    return page.page.evaluate((direction) => {
      let failed = 0;
      for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
        if (pc.connectionState !== 'connected') continue;
        if (!pc.getTransceivers().some((t) => t.direction === direction)) continue;
        Object.defineProperty(pc, 'connectionState', { value: 'failed', configurable: true });
        pc.dispatchEvent(new Event('connectionstatechange'));
        failed += 1;
      }
      return failed;
    }, direction);
  }

  it('re-creates a transport that failed: the tracks flow again both ways', async () => {
    const start = await waitForRemote(second, 'the camera of the first page', (v) => v.videoDecoding && v.audio);
    assert.equal(await failTransport(first, 'sendonly'), 1, 'the first page had one send transport');
    const resent = await waitForRemote(
      second,
      'the first page publishing again on a new send transport',
      (v) => v.video !== start.video && v.videoDecoding && v.audio,
    );
    assert.equal(await failTransport(second, 'recvonly'), 1, 'the second page had one recv transport');
    await waitForRemote(
      second,
      'the first page consumed again on a new recv transport',
      (v) => v.video !== resent.video && v.videoDecoding && v.audio,
    );
  });
});
