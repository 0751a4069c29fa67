// End to end: four Chromium pages with camera and microphone in one media channel through the SFU.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { E2eEnvironment, type E2ePage, TIMEOUT, uniqueLocation, until } from './harness.js';
import { recordPeerConnections } from './peer-connections.js';

interface ParticipantView {
  peerID: string;
  audio: boolean;
  video: boolean;
  muted: boolean;
}

interface Health {
  transports?: number;
  producers?: number;
  consumers?: number;
  [field: string]: unknown;
}

const PAGES = 4;

describe('media through the SFU (<ir-media-channel audio video>)', () => {
  let env: E2eEnvironment;

  before(async () => {
    env = await E2eEnvironment.start();
  });

  after(async () => {
    await env?.close();
  });

  function participants(page: E2ePage): Promise<ParticipantView[]> {
    return page.page.evaluate(() => {
      const media = window.__irE2e?.elements.get('media') as HTMLElement & {
        participants: ReadonlyMap<string, { peerID: string; audio?: unknown; video?: unknown; muted: boolean }>;
      };
      return [...media.participants.values()].map((p) => ({
        peerID: p.peerID,
        audio: p.audio !== undefined,
        video: p.video !== undefined,
        muted: p.muted,
      }));
    });
  }

  function setMicrophone(page: E2ePage, on: boolean): Promise<void> {
    return page.page.evaluate((on) => {
      const media = window.__irE2e?.elements.get('media') as
        | (HTMLElement & { setMicrophoneEnabled(on: boolean): Promise<void> })
        | undefined;
      return media?.setMicrophoneEnabled(on);
    }, on);
  }

  /** The SFU's counts from `GET /api/health` (top level, or under `sfu`). */
  async function health(): Promise<Health> {
    const answer = (await (await fetch(`${env.server.apiUrl}/health`)).json()) as Health & { sfu?: Health };
    return answer.sfu ?? answer;
  }

  /** Inbound audio streams with packets and sound, as the page's own receivers count them. */
  function liveAudio(page: E2ePage): Promise<number> {
    return page.page.evaluate(async () => {
      let live = 0;
      for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
        if (pc.connectionState === 'closed') continue;
        const stats = await pc.getStats();
        stats.forEach(
          (report: {
            type: string;
            kind?: string;
            packetsReceived?: number;
            totalAudioEnergy?: number;
            audioLevel?: number;
          }) => {
            if (report.type !== 'inbound-rtp' || report.kind !== 'audio') return;
            const energy = (report.totalAudioEnergy ?? 0) + (report.audioLevel ?? 0);
            if ((report.packetsReceived ?? 0) > 0 && energy > 0) live += 1;
          },
        );
      }
      return live;
    });
  }

  /** Remote `<video>` elements in the channel's tiles that decoded a frame. */
  function decodedVideos(page: E2ePage): Promise<number> {
    return page.page.evaluate(() => {
      const media = window.__irE2e?.elements.get('media');
      // Other participants' tiles only: one's own tile shows one's own camera.
      const videos = [
        ...(media?.shadowRoot?.querySelectorAll<HTMLVideoElement>('li[part~="tile"]:not([data-self]) video') ?? []),
      ];
      return videos.filter((video) => video.videoWidth > 0).length;
    });
  }

  it('every page receives, decodes and hears the three others; mute shows; leaving frees the server', async (t) => {
    t.after(() => env.closePages());
    const channelId = uniqueLocation('sfu-media');
    const pages = await Promise.all(
      Array.from({ length: PAGES }, () => env.openPage(undefined, { initScript: recordPeerConnections })),
    );
    for (const page of pages) {
      await page.addMediaChannel('media', {
        'channel-id': channelId,
        'api-url': env.server.apiUrl,
        topology: 'sfu',
        audio: true,
        video: true,
      });
    }
    await Promise.all(pages.map((page) => page.waitForState('media', 'connected')));

    const complete = async (page: E2ePage) => {
      const seen = await participants(page);
      return seen.length === PAGES - 1 && seen.every((p) => p.audio && p.video);
    };
    for (const page of pages) {
      await until(
        `${page.name}: three participants with audio and video`,
        () => complete(page),
        async () => `${JSON.stringify(await participants(page))}\n${await page.describe('media')}`,
        30_000,
      );
    }
    const ids = new Map<E2ePage, string>();
    const everyone = new Set<string>();
    for (const page of pages) for (const p of await participants(page)) everyone.add(p.peerID);
    assert.equal(everyone.size, PAGES, 'four distinct peers');
    for (const page of pages) {
      const others = new Set((await participants(page)).map((p) => p.peerID));
      ids.set(page, [...everyone].find((id) => !others.has(id)) ?? '');
    }

    for (const page of pages) {
      await until(
        `${page.name}: three remote videos decoding`,
        async () => (await decodedVideos(page)) === PAGES - 1,
        async () => `decoded: ${await decodedVideos(page)}`,
        TIMEOUT.event,
      );
      await until(
        `${page.name}: three live remote audio streams`,
        async () => (await liveAudio(page)) >= PAGES - 1,
        async () => `live audio streams: ${await liveAudio(page)}`,
        TIMEOUT.event,
      );
    }

    // Mute on A shows on B.
    const [a, b] = pages as [E2ePage, E2ePage];
    const idA = ids.get(a) ?? '';
    const mutedOnB = async () => (await participants(b)).find((p) => p.peerID === idA)?.muted;
    assert.equal(await mutedOnB(), false, 'A is not muted yet');
    await setMicrophone(a, false);
    await until(
      'B to see A muted',
      async () => (await mutedOnB()) === true,
      async () => b.describe('media'),
      TIMEOUT.event,
    );
    await setMicrophone(a, true);
    await until(
      'B to see A unmuted',
      async () => (await mutedOnB()) === false,
      async () => b.describe('media'),
      TIMEOUT.event,
    );

    // The last page leaves: the others see it go, and the server frees what it had.
    const before = await health();
    const leaver = pages[PAGES - 1] as E2ePage;
    const leaverID = ids.get(leaver) ?? '';
    await leaver.page.evaluate(() =>
      (window.__irE2e?.elements.get('media') as (HTMLElement & { leave(): void }) | undefined)?.leave(),
    );
    for (const page of pages.slice(0, -1)) {
      await page.waitForEvent('media', 'ir-participant-leave', { peerID: leaverID });
      await until(
        `${page.name}: the leaver's tracks gone`,
        async () => (await participants(page)).length === PAGES - 2 && (await decodedVideos(page)) === PAGES - 2,
        async () => JSON.stringify(await participants(page)),
        TIMEOUT.event,
      );
    }
    const counts = (h: Health) => ({ transports: h.transports, producers: h.producers, consumers: h.consumers });
    assert.equal(typeof before.transports, 'number', `health reports transports: ${JSON.stringify(before)}`);
    // Per peer: a send and a recv transport, two media producers; each peer consumes the others' two.
    const expected = (peers: number) => ({
      transports: 2 * peers,
      producers: 2 * peers,
      consumers: 2 * peers * (peers - 1),
    });
    await until(
      'the server to free the leaver’s transports, producers and consumers',
      async () => {
        const now = counts(await health());
        return (
          now.transports === expected(PAGES - 1).transports &&
          now.producers === expected(PAGES - 1).producers &&
          now.consumers === expected(PAGES - 1).consumers
        );
      },
      async () => `before: ${JSON.stringify(counts(before))}, now: ${JSON.stringify(counts(await health()))}`,
      TIMEOUT.event,
    );

    await env.closePages();
    await until(
      'the server counts to return to 0',
      async () => {
        const now = counts(await health());
        return now.transports === 0 && now.producers === 0 && now.consumers === 0;
      },
      async () => JSON.stringify(counts(await health())),
      TIMEOUT.event,
    );
  });
});
