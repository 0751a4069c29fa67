/**
 * Real other participants for the live stories: each guest is a hidden `<iframe srcdoc>` page that
 * loads the kit and joins the story's channel (or location). An iframe is its own document, so its
 * own module state and its own peerID: to the server and to the story's element it is another
 * person. The iframes live exactly as long as the `<story-guests>` element that holds them.
 */
import { html, type TemplateResult } from 'lit';
import { storyApiUrl, storyKitUrl } from './story-env.js';

export interface GuestOptions {
  /** Join this media channel on its own. */
  channelId?: string;
  /** Or join a world instance of this location (and, with `audio`/`video`/`media`, its media channel). */
  locationId?: string;
  /** Publish the microphone (Chromium's fake device beeps). */
  audio?: boolean;
  /** Publish the camera, at 160×120 and 10 fps to keep the CPU of a many-guest story sane. */
  video?: boolean;
  /** Mute the microphone once captured, so others see a muted participant. */
  muted?: boolean;
  /** With `locationId`: join the world's media channel even without audio or video. */
  media?: boolean;
  /** `sfu` or `p2p`: the topology hint, the same as the story's element sends (whoever joins first decides). */
  topology?: 'sfu' | 'p2p';
  /** Display names, used in order; past the end "Guest N". */
  names?: readonly string[];
}

export const GUEST_NAMES = [
  'Ada Lovelace',
  'Grace Hopper',
  'Alan Turing',
  'Hedy Lamarr',
  'Radia Perlman',
  'Margaret Hamilton',
  'Tim Berners-Lee',
  'Barbara Liskov',
  'Dennis Ritchie',
  'Frances Allen',
  'Edsger Dijkstra',
  'Katherine Johnson',
  'Donald Knuth',
  'Sophie Wilson',
  'Ken Thompson',
] as const;

interface GuestConfig extends GuestOptions {
  name: string;
  apiUrl: string;
  kitUrl: string;
}

/** The guest page's script; it runs in the iframe, so it uses only what the kit defines there. */
function guestScript(config: GuestConfig): string {
  // `<` escaped so no value can close the inline script.
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `
const config = ${json};
const fail = (message) => { document.body.dataset.error = message; };
if (config.video) {
  // Small guest video: many guests' streams are decoded by every other page on a 2-core machine.
  const devices = navigator.mediaDevices;
  const capture = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints) =>
    capture(constraints?.video === true ? { ...constraints, video: { width: 160, height: 120, frameRate: 10 } } : constraints);
}
try {
  await import(config.kitUrl);
} catch (error) {
  const hint = config.kitUrl.endsWith('/ir-rooms.js') ? ' (npm run build makes it)' : '';
  fail('could not load the kit from ' + config.kitUrl + hint + ': ' + error);
  throw error;
}
const media = () => {
  const channel = document.createElement('ir-media-channel');
  channel.audio = Boolean(config.audio);
  channel.video = Boolean(config.video);
  if (config.topology) channel.topology = config.topology;
  if (config.muted) {
    channel.addEventListener('ir-track-added', (event) => {
      if (event.detail.local && event.detail.source === 'audio') channel.setMicrophoneEnabled(false).catch(() => {});
    });
  }
  return channel;
};
let root;
if (config.locationId) {
  root = document.createElement('ir-world-instance');
  root.apiUrl = config.apiUrl;
  root.locationId = config.locationId;
  root.displayName = config.name;
  if (config.topology) root.topology = config.topology;
  if (config.media || config.audio || config.video) root.append(media());
} else {
  root = media();
  root.apiUrl = config.apiUrl;
  root.channelId = config.channelId;
  try {
    const response = await fetch(config.apiUrl + '/authentication', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ strategy: 'guest', name: config.name }),
    });
    if (response.ok) root.token = (await response.json()).accessToken;
  } catch {
    // No guest login on this server: the guest joins as "Guest".
  }
}
document.addEventListener('ir-error', (event) => fail(String(event.detail.error)));
document.body.append(root);
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function guestPage(config: GuestConfig, title: string): string {
  return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
  <body><script type="module">${guestScript(config)}</script></body>
</html>`;
}

/** What a guest page reports, for a wait's failure message. */
export interface GuestStatus {
  name: string;
  state: string;
  error?: string;
}

type Joined = HTMLElement & { state?: string };

/**
 * `<story-guests>`: holds the guest iframes. Created on connect, removed on disconnect, so a story
 * that is unmounted (or re-rendered with other guests) leaves no guest behind.
 */
export class StoryGuests extends HTMLElement {
  #count = 0;
  #options: GuestOptions = {};
  #key = '';

  /** Set both at once (a lit property binding); re-creates the guests if they changed. */
  set guests(value: { count: number; options: GuestOptions }) {
    const key = JSON.stringify(value);
    if (key === this.#key) return;
    this.#key = key;
    this.#count = value.count;
    this.#options = value.options;
    if (this.isConnected) this.#spawn();
  }

  get frames(): HTMLIFrameElement[] {
    return [...this.querySelectorAll('iframe')];
  }

  /** Each guest's name, connection state and error, for messages and checks. */
  get statuses(): GuestStatus[] {
    return this.frames.map((frame) => {
      const document = frame.contentDocument;
      const joined = document?.querySelector<Joined>('ir-world-instance, ir-media-channel');
      const status: GuestStatus = { name: frame.dataset.name ?? '', state: joined?.state ?? 'loading' };
      const error = document?.body?.dataset.error;
      if (error) status.error = error;
      return status;
    });
  }

  /** "Ada Lovelace: connected; Grace Hopper: failed (…)": who is where, for a timeout's message. */
  describe(): string {
    return this.statuses
      .map((status) => `${status.name}: ${status.state}${status.error ? ` (${status.error})` : ''}`)
      .join('; ');
  }

  connectedCallback(): void {
    // Out of sight and out of the accessibility tree and tab order: only their effect is shown.
    this.inert = true;
    this.setAttribute('aria-hidden', 'true');
    Object.assign(this.style, {
      position: 'absolute',
      width: '1px',
      height: '1px',
      overflow: 'hidden',
      clipPath: 'inset(50%)',
    });
    this.#spawn();
  }

  disconnectedCallback(): void {
    this.#removeGuests();
  }

  /**
   * Each guest leaves as a closing tab does (its `pagehide` while its page is still whole), then
   * its frame goes. Removing many frames at once, Chromium does not always get every detached
   * frame's last words out, and the server would hold those guests for a resume.
   */
  #removeGuests(): void {
    for (const frame of this.frames) {
      frame.contentWindow?.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
    }
    this.replaceChildren();
  }

  #spawn(): void {
    this.#removeGuests();
    const names = this.#options.names ?? GUEST_NAMES;
    const apiUrl = storyApiUrl();
    const kitUrl = storyKitUrl();
    for (let index = 0; index < this.#count; index++) {
      const name = names[index] ?? `Guest ${index + 1}`;
      const frame = document.createElement('iframe');
      frame.title = `${name} (a guest of this story)`;
      frame.dataset.name = name;
      frame.tabIndex = -1;
      frame.allow = 'camera; microphone; autoplay';
      frame.width = '320';
      frame.height = '240';
      frame.srcdoc = guestPage({ ...this.#options, name, apiUrl, kitUrl }, frame.title);
      this.append(frame);
    }
  }
}

if (typeof customElements !== 'undefined' && !customElements.get('story-guests')) {
  customElements.define('story-guests', StoryGuests);
}

declare global {
  interface HTMLElementTagNameMap {
    'story-guests': StoryGuests;
  }
}

/** `count` guest pages that join as described, for a story's template. */
export function guests(count: number, options: GuestOptions): TemplateResult {
  return html`<story-guests .guests=${{ count, options }}></story-guests>`;
}
