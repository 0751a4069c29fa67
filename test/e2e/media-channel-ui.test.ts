// End to end: two pages with <ir-media-channel audio video> inside a world instance, on an SFU and
// on a P2P location. Real clicks on A's toolbar show on B's tiles: mute, camera off and on, a screen
// share's own tile; and B sees A speak (the fake microphone beeps).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { E2eEnvironment, type E2ePage, TIMEOUT, uniqueLocation } from './harness.js';

/** What a tile shows, as its data attributes say (`null`: no such attribute), plus what is inside it. */
interface TileState {
  muted: string | null;
  video: string | null;
  speaking: string | null;
  /** A `video[part~=video|screen]` in the tile has decoded a frame. */
  decoding: boolean;
  muteIndicator: boolean;
}

/**
 * Waits until the page's tile of `peerID` (`screen`: its screen tile) matches `wanted`; fails with
 * what the tile showed last.
 */
async function waitForTile(
  page: E2ePage,
  peerID: string,
  wanted: Partial<TileState> | 'absent',
  label: string,
  options: { screen?: boolean; timeout?: number } = {},
): Promise<void> {
  const arg = { peerID, wanted, screen: options.screen === true };
  try {
    await page.waitUntil(
      'media',
      label,
      ({ peerID, wanted, screen }) => {
        const root = window.__irE2e?.elements.get('media')?.shadowRoot;
        const tiles = [...(root?.querySelectorAll(`li[part~="tile"][data-peer-id="${peerID}"]`) ?? [])];
        const tile = tiles.find((li) => li.matches('[part~="screen-tile"]') === screen);
        const w = window as unknown as { __lastTile?: unknown };
        if (!tile) {
          w.__lastTile = 'no tile';
          return wanted === 'absent';
        }
        const video = tile.querySelector<HTMLVideoElement>(screen ? 'video[part~="screen"]' : 'video[part~="video"]');
        const state: Record<string, unknown> = {
          muted: tile.getAttribute('data-muted'),
          video: tile.getAttribute('data-video'),
          speaking: tile.getAttribute('data-speaking'),
          decoding: (video?.videoWidth ?? 0) > 0,
          muteIndicator: tile.querySelector('[part~="mute-indicator"][aria-label]') !== null,
        };
        w.__lastTile = state;
        return wanted !== 'absent' && Object.entries(wanted).every(([key, value]) => state[key] === value);
      },
      arg,
      options.timeout ?? TIMEOUT.event,
    );
  } catch (error) {
    const last = await page.page.evaluate(() => (window as unknown as { __lastTile?: unknown }).__lastTile);
    throw new Error(`${(error as Error).message}\n  the tile showed last: ${JSON.stringify(last)}`, { cause: error });
  }
}

/** A real mouse click on a toolbar button (playwright's CSS pierces the open shadow roots). */
async function click(
  page: E2ePage,
  control: 'microphone' | 'camera' | 'screen-share' | 'leave' | 'join',
): Promise<void> {
  await page.page
    .locator(`ir-media-channel button[part~="control"][part~="${control}"]`)
    .click({ timeout: TIMEOUT.event });
}

/** Waits until the page's own toolbar button says `pressed`. */
function waitForPressed(page: E2ePage, control: string, pressed: boolean): Promise<boolean> {
  return page.waitUntil(
    'media',
    `the ${control} button aria-pressed="${pressed}"`,
    ({ control, pressed }) => {
      const root = window.__irE2e?.elements.get('media')?.shadowRoot;
      const button = root?.querySelector(`button[part~="control"][part~="${control}"]`);
      return button?.getAttribute('aria-pressed') === String(pressed);
    },
    { control, pressed },
  );
}

function participantMuted(page: E2ePage, peerID: string): Promise<boolean | undefined> {
  return page.page.evaluate((peerID) => {
    const media = window.__irE2e?.elements.get('media') as
      | (HTMLElement & { participants: ReadonlyMap<string, { muted: boolean }> })
      | undefined;
    return media?.participants.get(peerID)?.muted;
  }, peerID);
}

describe('<ir-media-channel> controls as another page sees them', () => {
  let env: E2eEnvironment;

  before(async () => {
    env = await E2eEnvironment.start();
  });

  after(async () => {
    await env?.close();
  });

  for (const topology of ['sfu', 'p2p'] as const) {
    describe(`on a${topology === 'sfu' ? 'n SFU' : ' P2P'} location`, () => {
      let first: E2ePage;
      let second: E2ePage;
      /** A's peerID: the same in the world instance and its media channel. */
      let ada: string;

      before(async () => {
        const location = uniqueLocation(`ui-${topology}`);
        [first, second] = await Promise.all([env.openPage(), env.openPage()]);
        for (const [page, name] of [
          [first, 'Ada'],
          [second, 'Grace'],
        ] as const) {
          // `topology` is a hint the dev server honours for a location it does not know.
          await page.addWorld('world', {
            'location-id': location,
            'api-url': env.server.apiUrl,
            'display-name': name,
            topology,
          });
          await page.addMediaChannel('media', { audio: true, video: true }, 'world');
        }
        const world = await first.waitForState('world', 'connected');
        assert.equal(world.instance?.p2p, topology === 'p2p', `a ${topology} world instance`);
        ada = world.selfPeerID;
        await Promise.all([first.waitForState('media', 'connected'), second.waitForState('media', 'connected')]);
      });

      after(() => env.closePages());

      it("shows A's camera and open microphone on B's tile, and one's own tile first", async () => {
        await waitForTile(
          second,
          ada,
          { video: 'true', decoding: true, muted: 'false', muteIndicator: false },
          "A's camera",
        );
        const grid = await first.waitUntil(
          'media',
          'a grid of two tiles, its own first',
          (ada) => {
            const grid = window.__irE2e?.elements.get('media')?.shadowRoot?.querySelector('ul[part~="grid"]');
            const firstTile = grid?.querySelector('li[part~="tile"]');
            if (grid?.getAttribute('data-count') !== '2' || !firstTile?.hasAttribute('data-self')) return false;
            return { self: firstTile.getAttribute('data-peer-id') === ada, label: grid.getAttribute('aria-label') };
          },
          ada,
        );
        assert.equal(grid.self, true, "one's own tile has one's peerID");
        assert.ok(grid.label, 'the grid has an accessible name');
      });

      it("a click on A's microphone mutes A on B's page, another click unmutes", async () => {
        await waitForPressed(first, 'microphone', true);
        await click(first, 'microphone');
        await waitForPressed(first, 'microphone', false);
        await waitForTile(second, ada, { muted: 'true', muteIndicator: true }, 'A muted, with the mute indicator');
        assert.equal(await participantMuted(second, ada), true, 'participants.get(A).muted');
        await click(first, 'microphone');
        await waitForPressed(first, 'microphone', true);
        await waitForTile(second, ada, { muted: 'false', muteIndicator: false }, 'A unmuted');
        assert.equal(await participantMuted(second, ada), false);
      });

      it("a click on A's camera takes A's video off B's tile, another brings it back", async () => {
        await waitForPressed(first, 'camera', true);
        await click(first, 'camera');
        await waitForPressed(first, 'camera', false);
        await waitForTile(second, ada, { video: 'false' }, "A's video off");
        await click(first, 'camera');
        await waitForPressed(first, 'camera', true);
        await waitForTile(second, ada, { video: 'true', decoding: true }, "A's video back");
      });

      it("a click on A's screen-share button gives B a screen tile, another removes it", async () => {
        await waitForPressed(first, 'screen-share', false);
        await click(first, 'screen-share');
        await waitForPressed(first, 'screen-share', true);
        await waitForTile(second, ada, { decoding: true }, "A's screen decoding in a screen tile", { screen: true });
        await click(first, 'screen-share');
        await waitForPressed(first, 'screen-share', false);
        await waitForTile(second, ada, 'absent', "A's screen tile gone", { screen: true });
        await waitForTile(second, ada, { video: 'true', decoding: true }, "A's camera still there");
      });

      it('B sees A speak', async () => {
        // Chromium's fake microphone beeps about once a second; B's level meter catches a beep.
        await second.waitUntil(
          'media',
          'A speaking: data-speaking="true" on its tile or ir-active-speaker-change for A',
          (ada) => {
            const root = window.__irE2e?.elements.get('media')?.shadowRoot;
            const tile = root?.querySelector(`li[part~="tile"][data-peer-id="${ada}"]:not([part~="screen-tile"])`);
            const events = window.__irE2e?.events.get('media') ?? [];
            return (
              tile?.getAttribute('data-speaking') === 'true' ||
              events.some((event) => event.type === 'ir-active-speaker-change' && event.detail.peerID === ada)
            );
          },
          ada,
          TIMEOUT.connected,
        );
      });

      it("a click on A's leave button takes A off B's grid and stops A's tracks; join brings A back", async () => {
        const captured = await first.waitUntil(
          'media',
          'its microphone and camera live',
          () => {
            const media = window.__irE2e?.elements.get('media') as HTMLElement & { localStream: MediaStream | null };
            const tracks = media.localStream?.getTracks() ?? [];
            (window as unknown as { __left: MediaStreamTrack[] }).__left = tracks;
            return tracks.length === 2 && tracks.every((track) => track.readyState === 'live');
          },
          undefined,
        );
        assert.ok(captured);
        await click(first, 'leave');
        await first.waitForState('media', 'disconnected');
        await first.waitUntil(
          'media',
          'the tracks it had ended',
          () =>
            (window as unknown as { __left: MediaStreamTrack[] }).__left.every((track) => track.readyState === 'ended'),
          undefined,
        );
        await waitForTile(second, ada, 'absent', "A's tile gone");
        await click(first, 'join');
        await first.waitForState('media', 'connected');
        await waitForTile(
          second,
          ada,
          { video: 'true', decoding: true, muted: 'false' },
          'A back with camera and microphone',
        );
      });
    });
  }
});
