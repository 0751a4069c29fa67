/**
 * What the stories' `play` functions wait for: the state each story shows, read from the elements'
 * public DOM contract. A wait that runs out fails with what it saw, including the guests' states.
 */
import type { StoryGuests } from './guests.js';

type Joinable = HTMLElement & { state: string };

/** Long enough for a story's guests to join on a busy 2-core machine. */
export const STORY_TIMEOUT_MS = 45_000;

export async function waitUntil(check: () => boolean, describe: () => string, timeoutMs = STORY_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The story's element `tag` (the first, or the `index`th), or a clear failure. */
export function find<T extends Element = HTMLElement>(canvas: HTMLElement, selector: string, index = 0): T {
  const found = canvas.querySelectorAll<T>(selector)[index];
  if (!found) throw new Error(`the story rendered no ${selector} #${index + 1}`);
  return found;
}

function guestsOf(canvas: HTMLElement): string {
  const all = [...canvas.querySelectorAll<StoryGuests>('story-guests')];
  const described = all.map((guests) => guests.describe()).filter(Boolean);
  return described.length > 0 ? `; guests: ${described.join('; ')}` : '';
}

export async function waitForState(canvas: HTMLElement, element: Joinable, states: readonly string[]): Promise<void> {
  await waitUntil(
    () => states.includes(element.state),
    () => `<${element.localName}> should be ${states.join(' or ')}, is ${element.state}${guestsOf(canvas)}`,
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

/** Waits for the media channel's grid to count `count` tiles, `withVideo` of them showing video. */
export async function waitForTiles(
  canvas: HTMLElement,
  channel: Element,
  count: number,
  withVideo = 0,
  timeoutMs = STORY_TIMEOUT_MS,
): Promise<void> {
  await waitUntil(
    () => {
      const grid = part(channel, '[part~="grid"]');
      const videos = parts(channel, 'li[part~="tile"][data-source="camera"][data-video="true"]').length;
      return grid?.dataset.count === String(count) && videos >= withVideo;
    },
    () => `expected ${count} tiles (${withVideo} with video): ${tilesSummary(channel)}${guestsOf(canvas)}`,
    timeoutMs,
  );
}

/** Waits for something in the element's shadow root. */
export async function waitForPart(canvas: HTMLElement, element: Element, selector: string, what: string) {
  await waitUntil(
    () => part(element, selector) !== null,
    () => `${what}: no ${selector} in <${element.localName}> (${tilesSummary(element)})${guestsOf(canvas)}`,
  );
}
