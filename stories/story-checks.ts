/**
 * What the stories' `play` functions wait for: the state each story shows, read from the elements'
 * public DOM contract. A wait fails at once when a guest page or one of the story's elements has
 * failed, and otherwise after a timeout, in both cases with what it saw (the guests' states too).
 */
import type { StoryGuests } from './guests.js';
import { sharedRooms } from './story-env.js';

type Joinable = HTMLElement & { state: string; error?: unknown };

/** Long enough for a story's guests to join on a busy 2-core machine. */
export const STORY_TIMEOUT_MS = 30_000;

function guestsIn(canvas: HTMLElement): StoryGuests[] {
  return [...canvas.querySelectorAll<StoryGuests>('story-guests')];
}

function guestsOf(canvas: HTMLElement): string {
  const described = guestsIn(canvas)
    .map((guests) => guests.describe())
    .filter(Boolean);
  return described.length > 0 ? `; guests: ${described.join('; ')}` : '';
}

/** Why waiting longer is pointless: a guest page that failed, or a kit element in `failed`. */
function failure(canvas: HTMLElement): string | null {
  for (const guests of guestsIn(canvas)) {
    const failed = guests.statuses.find((status) => status.error || status.state === 'failed');
    if (failed) return `guest ${failed.name} failed: ${failed.error ?? failed.state}`;
  }
  for (const element of canvas.querySelectorAll<Joinable>('ir-world-instance, ir-media-channel')) {
    if (element.state === 'failed') return `<${element.localName}> failed: ${String(element.error)}`;
  }
  return null;
}

/** Polls `check` until it holds; fails early on a failure in the story, or after `timeoutMs`. */
export async function waitUntil(
  canvas: HTMLElement,
  check: () => boolean,
  describe: () => string,
  timeoutMs = STORY_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    const failed = failure(canvas);
    if (failed) throw new Error(`${failed} (while waiting: ${describe()})`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}${guestsOf(canvas)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The story's `index`th element matching `selector` (in light DOM), or a clear failure. */
export function find<T extends Element = HTMLElement>(canvas: HTMLElement, selector: string, index = 0): T {
  const found = canvas.querySelectorAll<T>(selector)[index];
  if (!found) throw new Error(`the story rendered no ${selector} #${index + 1}`);
  return found;
}

export async function waitForState(canvas: HTMLElement, element: Joinable, states: readonly string[]): Promise<void> {
  await waitUntil(
    canvas,
    () => states.includes(element.state),
    () => `<${element.localName}> should be ${states.join(' or ')}, is ${element.state}`,
  );
}

/** Inside the element's shadow root. */
export function part<T extends Element = HTMLElement>(element: Element, selector: string): T | null {
  return element.shadowRoot?.querySelector<T>(selector) ?? null;
}

export function parts<T extends Element = HTMLElement>(element: Element, selector: string): T[] {
  return [...(element.shadowRoot?.querySelectorAll<T>(selector) ?? [])];
}

function tilesSummary(channel: Element): string {
  const grid = part(channel, '[part~="grid"]');
  const tiles = parts(channel, 'li[part~="tile"]').map((tile) => {
    const flags = ['self', 'muted', 'video', 'speaking'].filter((flag) =>
      flag === 'self' ? tile.hasAttribute('data-self') : tile.dataset[flag] === 'true',
    );
    return `${tile.dataset.source ?? '?'}${flags.length ? `(${flags.join(',')})` : ''}`;
  });
  return `grid data-count=${grid?.dataset.count ?? 'none'}, tiles [${tiles.join(' ')}]`;
}

/**
 * Whether `actual` participants are the `expected` ones the story brought: exactly, unless other
 * tabs share the story's rooms (a Storybook session), whose participants come on top.
 */
export function countReached(actual: number, expected: number): boolean {
  return sharedRooms() ? actual >= expected : actual === expected;
}

/** Waits for the media channel's grid to count `count` tiles, `withVideo` of them showing video. */
export async function waitForTiles(canvas: HTMLElement, channel: Element, count: number, withVideo = 0) {
  await waitUntil(
    canvas,
    () => {
      const grid = part(channel, '[part~="grid"]');
      const videos = parts(channel, 'li[part~="tile"][data-source="camera"][data-video="true"]').length;
      return (
        grid?.dataset.count !== undefined && countReached(Number(grid.dataset.count), count) && videos >= withVideo
      );
    },
    () => `expected ${count} tiles (${withVideo} with video): ${tilesSummary(channel)}`,
  );
}

/** Waits for something in the element's shadow root. */
export async function waitForPart(canvas: HTMLElement, element: Element, selector: string, what: string) {
  await waitUntil(
    canvas,
    () => part(element, selector) !== null,
    () => `${what}: no ${selector} in <${element.localName}>`,
  );
}
