// End to end: two pages in a P2P media channel: mute state crosses over, and a screen share added
// and removed later renegotiates the call (the remote sees the track come and go, camera intact).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { E2eEnvironment, type E2ePage, uniqueLocation } from './harness.js';

interface RemoteView {
  muted: boolean;
  audio: boolean;
  /** A <video> of the track shows frames. */
  video: boolean;
  screen: boolean;
}

/** Waits until the page's only participant looks like `wanted` (fields left out are not checked). */
async function waitForRemote(page: E2ePage, wanted: Partial<RemoteView>, label: string): Promise<void> {
  try {
    await page.page.waitForFunction(
      (wanted) => {
        type Participant = {
          muted: boolean;
          audio?: MediaStreamTrack;
          video?: MediaStreamTrack;
          screen?: MediaStreamTrack;
        };
        const media = window.__irE2e?.elements.get('media') as
          | (HTMLElement & { participants: ReadonlyMap<string, Participant> })
          | undefined;
        const [p] = [...(media?.participants.values() ?? [])];
        if (!p) return false;
        const w = window as unknown as { __videos?: Map<MediaStreamTrack, HTMLVideoElement> };
        w.__videos ??= new Map();
        // No named helpers in here: tsx's __name wrapper does not exist in the page.
        const decoding: boolean[] = [];
        for (const track of [p.video, p.screen]) {
          let video = track ? w.__videos.get(track) : undefined;
          if (track && !video) {
            video = document.createElement('video');
            video.muted = true;
            video.srcObject = new MediaStream([track]);
            void video.play();
            w.__videos.set(track, video);
          }
          decoding.push(track?.readyState === 'live' && (video?.videoWidth ?? 0) > 0);
        }
        const view = { muted: p.muted, audio: p.audio?.readyState === 'live', video: decoding[0], screen: decoding[1] };
        return Object.entries(wanted).every(([key, value]) => view[key as keyof typeof view] === value);
      },
      wanted,
      { timeout: 30_000, polling: 100 },
    );
  } catch (error) {
    throw new Error(`${page.name}: the remote participant never became ${label}\n${await page.describe('media')}`, {
      cause: error,
    });
  }
}

async function call(page: E2ePage, method: string, ...args: unknown[]): Promise<void> {
  await page.page.evaluate(
    async ({ method, args }) => {
      const media = window.__irE2e?.elements.get('media') as unknown as Record<
        string,
        (...a: unknown[]) => Promise<void>
      >;
      await media[method]?.(...args);
    },
    { method, args },
  );
}

describe('P2P media tracks between two pages', () => {
  let env: E2eEnvironment;
  let first: E2ePage;
  let second: E2ePage;

  before(async () => {
    env = await E2eEnvironment.start();
    const channel = uniqueLocation('p2p-tracks');
    [first, second] = await Promise.all([env.openPage(), env.openPage()]);
    for (const page of [first, second]) {
      await page.addMediaChannel('media', {
        'channel-id': channel,
        'api-url': env.server.apiUrl,
        topology: 'p2p',
        audio: true,
        video: true,
      });
      await page.waitForState('media', 'connected');
    }
    await waitForRemote(second, { audio: true, video: true, muted: false }, 'sending camera and microphone');
    await waitForRemote(first, { audio: true, video: true, muted: false }, 'sending camera and microphone');
  });

  after(async () => {
    await env?.close();
  });

  it('shows a muted microphone to the other page, and the unmute', async () => {
    await call(first, 'setMicrophoneEnabled', false);
    await waitForRemote(second, { muted: true, audio: true }, 'muted');
    await call(first, 'setMicrophoneEnabled', true);
    await waitForRemote(second, { muted: false, audio: true }, 'unmuted');
  });

  it('adds a screen share to the call and removes it again, the camera still decoding', async () => {
    await call(first, 'startScreenShare');
    await waitForRemote(second, { screen: true, video: true, audio: true }, 'sharing the screen');
    await call(first, 'stopScreenShare');
    await waitForRemote(second, { screen: false, video: true, audio: true }, 'no longer sharing the screen');
    const events = await second.events('media');
    assert.ok(!events.some((event) => event.type === 'ir-participant-leave'), 'renegotiation is not a departure');
  });
});
