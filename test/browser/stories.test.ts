import { expect } from '@open-wc/testing';
import { composeStory, type StoryModule, storiesOf } from '../../stories/compose.js';
import * as mediaChannelStories from '../../stories/media-channel.stories.js';
import * as roomsProviderStories from '../../stories/rooms-provider.stories.js';
import { part, waitUntil } from '../../stories/story-checks.js';
import { type StoryEnvironment, storyApiUrl } from '../../stories/story-env.js';
import * as worldInstanceStories from '../../stories/world-instance.stories.js';
import { expectNoSeriousA11yViolations } from './axe.js';
import { listInstances, rejection, waitFor } from './helpers.js';

// Guests load the kit from this run's sources, as the test page itself does, not the server's
// build (/ir-rooms.js), which is stale or missing unless `npm run build` ran since the last edit.
(globalThis as { __IR_STORY__?: StoryEnvironment }).__IR_STORY__ = { kitUrl: '/src/define.ts' };

const modules = [mediaChannelStories, worldInstanceStories, roomsProviderStories] as unknown as StoryModule[];

/** console.error calls while a story is mounted: a story that logs errors is broken even if it looks right. */
function recordConsoleErrors(): { errors: string[]; restore(): void } {
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => {
    errors.push(args.map(String).join(' '));
    original.apply(console, args);
  };
  return { errors, restore: () => (console.error = original) };
}

/**
 * Requests to an API that is not the story's server (such as `/api` on the page's own origin, where
 * an element that started before its settings arrived would log in).
 */
function recordStrayApiRequests(): { stray(): string[]; stop(): void } {
  const names: string[] = [];
  const observer = new PerformanceObserver((list) => names.push(...list.getEntries().map((entry) => entry.name)));
  observer.observe({ type: 'resource' });
  const server = storyApiUrl();
  return {
    stray: () => {
      names.push(...observer.takeRecords().map((entry) => entry.name));
      return names.filter((name) => new URL(name).pathname.startsWith('/api/') && !name.startsWith(`${server}/`));
    },
    stop: () => observer.disconnect(),
  };
}

/** The channels and locations a story joins, from its args. */
function roomsOf(args: Record<string, unknown>): string[] {
  const ids = [args.channelId, args.locationId, ...(Array.isArray(args.locationIds) ? args.locationIds : [])];
  return ids.filter((id): id is string => typeof id === 'string');
}

/** Peers the server still counts in those rooms (world instances and their media channels). */
async function peersLeftIn(rooms: string[]): Promise<number> {
  const instances = await listInstances();
  return instances
    .filter((instance) => rooms.includes(instance.channelId ?? '') || rooms.includes(instance.locationId ?? ''))
    .reduce((sum, instance) => sum + instance.peers, 0);
}

/** What some stories show goes further than `play`: the tests prove the way out of the state too. */
const afterPlay: Record<string, (canvas: HTMLElement) => Promise<void>> = {
  'elements-ir-media-channel--blocked-audio': async (canvas) => {
    const channel = canvas.querySelector('ir-media-channel') as HTMLElement;
    part<HTMLButtonElement>(channel, 'button[part~="enable-audio"]')?.click();
    await waitUntil(
      canvas,
      () => part(channel, 'button[part~="enable-audio"]') === null,
      () => 'the enable-audio button should go away once clicked',
    );
    const audios = [...(channel.shadowRoot?.querySelectorAll('audio') ?? [])];
    expect(audios.length, 'a remote microphone plays through an <audio>').to.be.greaterThan(0);
    await waitUntil(
      canvas,
      () => audios.every((audio) => !audio.paused),
      () => 'every <audio> should play after "enable audio"',
    );
  },
};

/** What the page had before a story: a story's decorators must put it back. */
function pagePatches() {
  return { getUserMedia: navigator.mediaDevices.getUserMedia, play: HTMLMediaElement.prototype.play };
}

/** Once unmounted: no guest frame, no live local track, no patch, no peer on the server. */
async function expectNothingLeft(rooms: string[], localTracks: MediaStreamTrack[], before: object): Promise<void> {
  expect(document.querySelectorAll('iframe').length, 'guest iframes left in the document').to.equal(0);
  expect(window.length, 'frames left in the window').to.equal(0);
  await waitFor(
    () => localTracks.every((track) => track.readyState === 'ended'),
    'every local track the story started should be stopped once it is unmounted',
  );
  expect(pagePatches(), 'getUserMedia and play() as they were').to.deep.equal(before);
  await waitFor(
    async () => (await peersLeftIn(rooms)) === 0,
    `the server should count no peer in ${rooms.join(', ')} once the story is unmounted`,
  );
}

describe('stories', () => {
  for (const module of modules) {
    describe(module.default.title, () => {
      for (const [exportName, story] of storiesOf(module)) {
        const composed = composeStory(module.default, story, exportName);
        it(`${composed.name}: joins live, shows its state, passes axe, and leaves nothing behind`, async function () {
          // The file as a whole must finish within web-test-runner's two minutes; each wait fails sooner.
          this.timeout(60_000);
          const rooms = roomsOf(composed.args as Record<string, unknown>);
          expect(rooms, 'the story names its channel or location in its args').to.not.be.empty;
          const before = pagePatches();
          const canvas = document.createElement('div');
          document.body.append(canvas);
          const localTracks: MediaStreamTrack[] = [];
          canvas.addEventListener('ir-track-added', (event) => {
            if (event.detail.local) localTracks.push(event.detail.track);
          });
          const consoleErrors = recordConsoleErrors();
          const requests = recordStrayApiRequests();
          try {
            await composed.play(composed.mount(canvas));
            await afterPlay[composed.id]?.(canvas);
            await expectNoSeriousA11yViolations(canvas);
            const elements = [
              ...canvas.querySelectorAll<HTMLElement & { state: string }>('ir-world-instance, ir-media-channel'),
            ];
            if (elements.some((element) => element.state === 'connected')) {
              expect(await peersLeftIn(rooms), 'peers the server counts in the story').to.be.greaterThan(0);
            }
            composed.unmount(canvas);
            canvas.remove();
            await expectNothingLeft(rooms, localTracks, before);
            expect(consoleErrors.errors, 'console errors while the story was mounted').to.deep.equal([]);
            expect(requests.stray(), 'API requests that did not go to the story server').to.deep.equal([]);
          } finally {
            consoleErrors.restore();
            requests.stop();
            composed.unmount(canvas);
            canvas.remove();
          }
        });
      }
    });
  }
});

describe('the accessibility check (test/browser/axe.ts)', () => {
  function shadowHost(markup: string): { host: HTMLElement; inner: Element } {
    const host = document.createElement('div');
    const root = host.attachShadow({ mode: 'open' });
    root.innerHTML = `<section>${markup}</section>`;
    document.body.append(host);
    return { host, inner: root.querySelector('section') as Element };
  }

  it('finds a nameless button inside a shadow root, given the host or a node inside it', async () => {
    const { host, inner } = shadowHost('<button type="button"><svg></svg></button>');
    try {
      const fromHost = await rejection(expectNoSeriousA11yViolations(host));
      expect(String(fromHost)).to.contain('button-name');
      const fromInside = await rejection(expectNoSeriousA11yViolations(inner));
      expect(String(fromInside)).to.contain('button-name');
    } finally {
      host.remove();
    }
  });

  it('passes a labelled control and ignores minor findings', async () => {
    const { host } = shadowHost('<button type="button" aria-label="Microphone"></button>');
    try {
      await expectNoSeriousA11yViolations(host);
    } finally {
      host.remove();
    }
  });
});
