// End to end: four Chromium pages in a P2P media channel: a full mesh of camera and microphone
// tracks, and presence-driven teardown when one page goes away.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { E2eEnvironment, type E2ePage, TIMEOUT, trackPeerConnections, uniqueLocation } from './harness.js';

/** The ICE ufrags of the page's open peer connections: `local` ones, or the `remote` side's. */
function ufrags(page: E2ePage, side: 'local' | 'remote'): Promise<string[]> {
  return page.page.evaluate((side) => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
    const out: string[] = [];
    for (const pc of pcs) {
      if (pc.signalingState === 'closed') continue;
      const sdp = (side === 'local' ? pc.localDescription : pc.remoteDescription)?.sdp ?? '';
      const match = /a=ice-ufrag:(\S+)/.exec(sdp);
      if (match?.[1]) out.push(match[1]);
    }
    return out;
  }, side);
}

/**
 * Waits until the page's channel has `count` participants, each with a live video track that decodes
 * (videoWidth > 0 in a <video>) and a live audio track that receives packets (not muted).
 */
async function waitForMesh(page: E2ePage, count: number): Promise<void> {
  try {
    await page.page.waitForFunction(
      (count) => {
        type Participant = { peerID: string; audio?: MediaStreamTrack; video?: MediaStreamTrack };
        const media = window.__irE2e?.elements.get('media') as
          | (HTMLElement & { participants: ReadonlyMap<string, Participant> })
          | undefined;
        const participants = [...(media?.participants.values() ?? [])];
        const w = window as unknown as { __videos?: Map<MediaStreamTrack, HTMLVideoElement> };
        w.__videos ??= new Map();
        let ready = 0;
        for (const p of participants) {
          if (!p.video || !p.audio || p.video.readyState !== 'live' || p.audio.readyState !== 'live') continue;
          let video = w.__videos.get(p.video);
          if (!video) {
            video = document.createElement('video');
            video.muted = true;
            video.srcObject = new MediaStream([p.video]);
            void video.play();
            w.__videos.set(p.video, video);
          }
          if (video.videoWidth > 0 && !p.audio.muted) ready++;
        }
        return ready >= count;
      },
      count,
      { timeout: 45_000, polling: 200 },
    );
  } catch (error) {
    throw new Error(`${page.name}: no mesh of ${count} decoding peers\n${await page.describe('media')}`, {
      cause: error,
    });
  }
}

describe('<ir-media-channel topology="p2p"> with four pages', () => {
  let env: E2eEnvironment;
  const pages: E2ePage[] = [];

  before(async () => {
    env = await E2eEnvironment.start();
    const channel = uniqueLocation('p2p-media');
    for (let i = 0; i < 4; i++) {
      const page = await env.openPage(undefined, { initScript: trackPeerConnections });
      await page.addMediaChannel('media', {
        'channel-id': channel,
        'api-url': env.server.apiUrl,
        topology: 'p2p',
        audio: true,
        video: true,
      });
      await page.waitForState('media', 'connected', TIMEOUT.connected);
      pages.push(page);
    }
    const instances = (await (await fetch(`${env.server.apiUrl}/instances`)).json()) as {
      channelId: string | null;
      p2p: boolean;
      peers: number;
    }[];
    const instance = instances.find((i) => i.channelId === channel);
    assert.equal(instance?.p2p, true, 'the channel is a P2P instance');
    assert.equal(instance?.peers, 4);
  });

  after(async () => {
    await env?.close();
  });

  it('each page receives three remote video tracks that decode and three live audio tracks', async () => {
    await Promise.all(pages.map((page) => waitForMesh(page, 3)));
  });

  it('a page that goes away is torn down everywhere: no connection toward it stays open, ir-participant-leave fires', async () => {
    const leaving = pages[3]!;
    // The one participant the first page has that the leaving page does not: the leaving page itself.
    const seenByLeaving = new Set((await leaving.mediaSnapshot('media')).participants.map((p) => p.peerID));
    const leavingID = (await pages[0]!.mediaSnapshot('media')).participants.find(
      (p) => !seenByLeaving.has(p.peerID),
    )?.peerID;
    assert.ok(leavingID, 'the leaving page is a participant of the others');
    const leavingUfrags = new Set(await ufrags(leaving, 'local'));
    assert.ok(leavingUfrags.size >= 3, `the leaving page has connections (${leavingUfrags.size})`);
    for (const page of pages.slice(0, 3)) {
      const toward = (await ufrags(page, 'remote')).filter((u) => leavingUfrags.has(u));
      assert.ok(toward.length > 0, `${page.name} had connections toward the leaving page`);
    }

    await leaving.close();
    for (const page of pages.slice(0, 3)) {
      await page.waitForEvent('media', 'ir-participant-leave', { peerID: leavingID, timeout: 15_000 });
      const toward = (await ufrags(page, 'remote')).filter((u) => leavingUfrags.has(u));
      assert.deepEqual(toward, [], `${page.name} closed every RTCPeerConnection toward the page that left`);
      const snapshot = await page.mediaSnapshot('media');
      assert.equal(snapshot.state, 'connected');
      assert.equal(snapshot.participants.length, 2);
    }
    await Promise.all(pages.slice(0, 3).map((page) => waitForMesh(page, 2)));
  });
});
