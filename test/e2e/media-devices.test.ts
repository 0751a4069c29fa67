// End to end: <ir-media-channel> and the devices and policies of a real browser: a denied camera
// (by an init script, or by the browser's own permissions) still joins audio-only, nothing granted
// joins listen-only, removal stops every local track and frees the seat, and a browser that blocks
// autoplay gets a button that plays the audio after a real click.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { CHROMIUM_ARGS, E2eEnvironment, type E2ePage, MARK_PREFIX, TIMEOUT, uniqueLocation, until } from './harness.js';

/** An init script: `getUserMedia` rejects as a user's "Block" would whenever a camera is asked for. */
function denyCamera(): void {
  const devices = navigator.mediaDevices;
  const original = devices.getUserMedia.bind(devices);
  // Assigned, not written as a method: the page has no `__name` helper for named functions.
  devices.getUserMedia = (constraints) =>
    constraints?.video ? Promise.reject(new DOMException('denied', 'NotAllowedError')) : original(constraints);
}

describe('<ir-media-channel> with real devices and browser policies', () => {
  let env: E2eEnvironment;

  before(async () => {
    env = await E2eEnvironment.start();
  });

  after(async () => {
    await env?.close();
  });

  async function join(page: E2ePage, channelId: string, attributes: Record<string, boolean> = {}): Promise<void> {
    await page.addMediaChannel('media', {
      'channel-id': channelId,
      'api-url': env.server.apiUrl,
      topology: 'sfu',
      ...attributes,
    });
    await page.waitForState('media', 'connected');
  }

  /** The only other participant the page sees: its peerID once it has a live microphone track. */
  function waitForSpeaker(page: E2ePage): Promise<string> {
    return page.waitUntil(
      'media',
      'a participant with a live microphone track',
      () => {
        const media = window.__irE2e?.elements.get('media') as
          | (HTMLElement & { participants: ReadonlyMap<string, { peerID: string; audio?: MediaStreamTrack }> })
          | undefined;
        const [p] = [...(media?.participants.values() ?? [])];
        return p?.audio?.readyState === 'live' ? p.peerID : false;
      },
      undefined,
    );
  }

  /** Chromium without the fake permission UI: a context's granted permissions decide, as a user's answers would. */
  let asking: Promise<Browser> | undefined;
  function askingBrowser(): Promise<Browser> {
    asking ??= env.launchBrowser(CHROMIUM_ARGS.filter((arg) => arg !== '--use-fake-ui-for-media-stream'));
    return asking;
  }

  /** The page's `ir-device-error` events as `kind:code`, sorted. */
  async function deviceErrors(page: E2ePage): Promise<string[]> {
    const events = (await page.events('media')).filter((event) => event.type === 'ir-device-error');
    return events.map((event) => `${event.detail.kind}:${(event.detail.error as { code?: string }).code}`).sort();
  }

  /** Waits until `page` plays `peerID`'s microphone in an `<audio>`; returns what its tile shows. */
  function waitForHeard(page: E2ePage, peerID: string): Promise<{ video: string | null; muted: string | null }> {
    return page.waitUntil(
      'media',
      `the microphone of ${peerID} playing`,
      (peerID) => {
        const media = window.__irE2e?.elements.get('media') as
          | (HTMLElement & { participants: ReadonlyMap<string, { audio?: MediaStreamTrack }> })
          | undefined;
        const audio = media?.participants.get(peerID)?.audio;
        const tile = media?.shadowRoot?.querySelector(`li[part~="tile"][data-peer-id="${peerID}"]`);
        const playing = [...(media?.shadowRoot?.querySelectorAll('audio') ?? [])].some(
          (element) => !element.paused && (element.srcObject as MediaStream | null)?.getAudioTracks()[0] === audio,
        );
        return playing && tile
          ? { video: tile.getAttribute('data-video'), muted: tile.getAttribute('data-muted') }
          : false;
      },
      peerID,
    );
  }

  function localTracks(page: E2ePage): Promise<string[]> {
    return page.page.evaluate(() => {
      const media = window.__irE2e?.elements.get('media') as
        | (HTMLElement & { localStream: MediaStream | null })
        | undefined;
      return (media?.localStream?.getTracks() ?? []).map((track) => `${track.kind}:${track.readyState}`);
    });
  }

  const cameraDenials = [
    {
      how: 'getUserMedia rejects a camera (init script)',
      open: () => env.openPage(undefined, { initScript: denyCamera }),
    },
    {
      how: 'the browser denies the camera (only the microphone granted)',
      open: async () => env.openPage(undefined, { browser: await askingBrowser(), permissions: ['microphone'] }),
    },
  ];
  for (const { how, open } of cameraDenials) {
    it(`joins audio-only when ${how}: ir-device-error, a notice a click dismisses`, async (t) => {
      t.after(() => env.closePages());
      const channelId = uniqueLocation('denied-camera');
      const denied = await open();
      const listener = await env.openPage();
      await join(denied, channelId, { audio: true, video: true });
      await join(listener, channelId);

      await denied.waitForEvent('media', 'ir-device-error');
      assert.deepEqual(
        await deviceErrors(denied),
        ['videoinput:FORBIDDEN'],
        'the camera failed, as FORBIDDEN; the microphone did not',
      );
      await denied.waitUntil(
        'media',
        'a notice about the camera',
        () => {
          const root = window.__irE2e?.elements.get('media')?.shadowRoot;
          const notice = root?.querySelector('[part~="notice"][role="alert"][data-kind="videoinput"]');
          return notice !== null && notice !== undefined && (notice.textContent ?? '').trim() !== '';
        },
        undefined,
      );
      await denied.page
        .locator('ir-media-channel [part~="notice"] button[part~="dismiss"]')
        .click({ timeout: TIMEOUT.event });
      await denied.waitUntil(
        'media',
        'the notice dismissed',
        () => window.__irE2e?.elements.get('media')?.shadowRoot?.querySelector('[part~="notice"]') === null,
        undefined,
      );
      assert.deepEqual(await localTracks(denied), ['audio:live'], 'the page captured its microphone only');
      assert.equal((await denied.mediaSnapshot('media')).state, 'connected', 'still connected');

      const heard = await waitForHeard(listener, await waitForSpeaker(listener));
      assert.deepEqual(heard, { video: 'false', muted: 'false' }, 'an unmuted microphone and no video');
    });
  }

  it('joins listen-only when neither microphone nor camera is granted, and hears the others', async (t) => {
    t.after(() => env.closePages());
    const channelId = uniqueLocation('listen-only');
    const speaker = await env.openPage();
    const denied = await env.openPage(undefined, { browser: await askingBrowser(), permissions: [] });
    await join(speaker, channelId, { audio: true });
    await join(denied, channelId, { audio: true, video: true });

    await denied.waitUntil(
      'media',
      'ir-device-error for the microphone and the camera',
      () => (window.__irE2e?.events.get('media') ?? []).filter((event) => event.type === 'ir-device-error').length >= 2,
      undefined,
    );
    assert.deepEqual(await deviceErrors(denied), ['audioinput:FORBIDDEN', 'videoinput:FORBIDDEN']);
    assert.deepEqual(await localTracks(denied), [], 'nothing captured');
    assert.equal((await denied.mediaSnapshot('media')).state, 'connected', 'still connected, listening');
    await waitForHeard(denied, await waitForSpeaker(denied));

    const joined = await speaker.waitForEvent('media', 'ir-participant-join');
    const listener = (joined.detail.participant as { peerID: string }).peerID;
    await speaker.waitUntil(
      'media',
      'the listener muted, without video',
      (peerID) => {
        const root = window.__irE2e?.elements.get('media')?.shadowRoot;
        const tile = root?.querySelector(`li[part~="tile"][data-peer-id="${peerID}"]`);
        return tile?.getAttribute('data-muted') === 'true' && tile.getAttribute('data-video') === 'false';
      },
      listener,
    );
  });

  it('stops every local track it started and frees its seat when removed', async (t) => {
    t.after(() => env.closePages());
    const channelId = uniqueLocation('removal');
    const [leaving, staying] = await Promise.all([env.openPage(), env.openPage()]);
    await join(leaving, channelId, { audio: true, video: true });
    await join(staying, channelId);
    await waitForSpeaker(staying);
    await leaving.page.evaluate(async () => {
      const media = window.__irE2e?.elements.get('media') as HTMLElement & { startScreenShare(): Promise<void> };
      await media.startScreenShare();
    });
    const started = await leaving.waitUntil(
      'media',
      'microphone, camera and screen live',
      () => {
        const media = window.__irE2e?.elements.get('media') as
          | (HTMLElement & { localStream: MediaStream | null })
          | undefined;
        const tracks = media?.localStream?.getTracks() ?? [];
        if (tracks.length < 3 || tracks.some((track) => track.readyState !== 'live')) return false;
        // Kept by the page: after removal the element no longer hands them out.
        (window as unknown as { __started: MediaStreamTrack[] }).__started = tracks;
        return tracks.map((track) => track.kind).sort();
      },
      undefined,
    );
    assert.deepEqual(started, ['audio', 'video', 'video']);

    const instance = (await env.instances()).find((candidate) => candidate.channelId === channelId);
    assert.ok(instance, `the channel has a media instance (${JSON.stringify(await env.instances())})`);
    assert.deepEqual([instance.peers, instance.seats], [2, 2], 'both pages hold a seat');

    await leaving.removeElement('media');
    await leaving.waitUntil(
      'media',
      'every track it started ended',
      () => {
        const tracks = (window as unknown as { __started: MediaStreamTrack[] }).__started;
        return tracks.every((track) => track.readyState === 'ended');
      },
      undefined,
    );
    let seen = instance;
    await until(
      'the media instance to count one peer and one seat',
      async () => {
        seen = (await env.instances()).find((candidate) => candidate.id === instance.id) ?? seen;
        return seen.peers === 1 && seen.seats === 1;
      },
      async () => `  last seen: ${JSON.stringify(seen)}`,
    );
    await staying.waitForEvent('media', 'ir-participant-leave');
  });

  it('offers a button when the browser blocks autoplay, and a real click plays the audio', async (t) => {
    t.after(() => env.closePages());
    const channelId = uniqueLocation('autoplay');
    const speaker = await env.openPage();
    await join(speaker, channelId, { audio: true });
    // The browser's default for a page without user activation, stated rather than assumed.
    const strict = await env.launchBrowser([
      ...CHROMIUM_ARGS.filter((arg) => !arg.startsWith('--autoplay-policy=')),
      '--autoplay-policy=document-user-activation-required',
    ]);
    // The element is in the markup and reports through the console: any playwright evaluate
    // would count as a user gesture and lift the block (see OpenPageOptions.waitForKit). It only
    // listens: Chromium lets a page that captures a microphone or camera autoplay anyway.
    const url = await env.hostPage(`<!doctype html>
<html lang="en">
  <body>
    <script>
      document.addEventListener('ir-audio-blocked', () => console.info('${MARK_PREFIX}ir-audio-blocked'));
    </script>
    <ir-media-channel channel-id="${channelId}" api-url="${env.server.apiUrl}" topology="sfu"></ir-media-channel>
    <script type="module" src="${env.server.url}/ir-rooms.js"></script>
  </body>
</html>`);
    const listener = await env.openPage(url, { browser: strict, waitForKit: false });
    await listener.waitForMark('ir-audio-blocked', TIMEOUT.connected);

    await listener.adopt('media', 'ir-media-channel');
    await listener.waitUntil(
      'media',
      'the enable-audio button, the audio paused',
      () => {
        const root = window.__irE2e?.elements.get('media')?.shadowRoot;
        const audios = [...(root?.querySelectorAll('audio') ?? [])];
        const button = root?.querySelector('button[part~="enable-audio"]');
        return button !== null && button !== undefined && audios.length > 0 && audios.every((audio) => audio.paused);
      },
      undefined,
    );
    await listener.page.locator('ir-media-channel button[part~="enable-audio"]').click({ timeout: TIMEOUT.event });
    await listener.waitUntil(
      'media',
      'the audio playing and the button gone',
      () => {
        const root = window.__irE2e?.elements.get('media')?.shadowRoot;
        const audios = [...(root?.querySelectorAll('audio') ?? [])];
        return (
          root?.querySelector('button[part~="enable-audio"]') === null &&
          audios.length > 0 &&
          audios.every((audio) => !audio.paused)
        );
      },
      undefined,
    );
  });
});
