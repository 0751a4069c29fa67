/**
 * Where the live stories find their reference server. Storybook (issue 6) sets
 * `globalThis.__IR_STORY__` from a global; the browser tests set `__IR_TEST__`; otherwise the
 * server is this page's origin (`npm start` serves the API at `/api`).
 */

export interface StoryEnvironment {
  /** Base URL of the rooms API, e.g. `http://127.0.0.1:3030/api`. */
  apiUrl?: string;
  /** The reference server's origin, which serves `/ir-rooms.js` to the guests. */
  serverUrl?: string;
  /** The kit module a guest page imports; defaults to `${serverUrl}/ir-rooms.js`. */
  kitUrl?: string;
  /**
   * One value per `npm run storybook` run: every tab then gives a story the same channel or
   * location, so a story opened twice shows both. Without it each page load has rooms of its own.
   */
  session?: string;
}

interface StoryGlobals {
  __IR_STORY__?: StoryEnvironment;
  __IR_TEST__?: { apiUrl?: string; serverUrl?: string };
}

const globals = globalThis as StoryGlobals;

function absolute(url: string): string {
  return new URL(url, globalThis.location?.href ?? 'http://localhost/').href.replace(/\/+$/, '');
}

/** The rooms API every story connects to. */
export function storyApiUrl(): string {
  return absolute(globals.__IR_STORY__?.apiUrl ?? globals.__IR_TEST__?.apiUrl ?? '/api');
}

/** The reference server's origin: given, else the API URL without its `/api`. */
export function storyServerUrl(): string {
  const given = globals.__IR_STORY__?.serverUrl ?? globals.__IR_TEST__?.serverUrl;
  return given ? absolute(given) : storyApiUrl().replace(/\/api$/, '');
}

/**
 * The kit a guest page loads: the reference server's browser bundle (`npm run build` makes it;
 * the server answers cross-origin), unless the environment names another module.
 */
export function storyKitUrl(): string {
  const given = globals.__IR_STORY__?.kitUrl;
  return given ? absolute(given) : `${storyServerUrl()}/ir-rooms.js`;
}

/**
 * Whether other tabs showing the same story share its rooms (a Storybook session): the story's
 * element then counts at least, not exactly, the participants the story brought.
 */
export function sharedRooms(): boolean {
  return Boolean(globals.__IR_STORY__?.session);
}

/**
 * A story's channel or location id. No other story uses it; within a Storybook session (see
 * `StoryEnvironment.session`) every tab showing the story does, otherwise it is this page load's
 * own, so the participants a story shows are the ones it brought. Made once per module load, so
 * re-rendering a story with new args stays in its room.
 */
export function roomId(prefix: string): string {
  return `${prefix}-${globals.__IR_STORY__?.session ?? Math.random().toString(36).slice(2, 10)}`;
}
