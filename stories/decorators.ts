/**
 * Decorators that put the story's page in a state a real browser gets into: a camera the user
 * denied, audio the autoplay policy blocks. Each patch is installed when the story is mounted and
 * removed when it is unmounted (a `<story-scope>` element carries the lifetime), so other stories
 * and the page itself are left as they were.
 */

import type { Decorator } from '@storybook/web-components-vite';
import { html } from 'lit';

type Cleanup = () => void;

/** `<story-scope>`: runs `effect` while connected; what it returns runs on disconnect. */
export class StoryScope extends HTMLElement {
  /** Set by a property binding, before the element is connected. */
  effect: ((scope: StoryScope) => Cleanup) | undefined;
  #cleanup: Cleanup | undefined;

  connectedCallback(): void {
    this.style.display = 'contents';
    this.#cleanup = this.effect?.(this);
  }

  disconnectedCallback(): void {
    this.#cleanup?.();
    this.#cleanup = undefined;
  }
}

if (typeof customElements !== 'undefined' && !customElements.get('story-scope')) {
  customElements.define('story-scope', StoryScope);
}

declare global {
  interface HTMLElementTagNameMap {
    'story-scope': StoryScope;
  }
}

function notAllowed(message: string): DOMException {
  return new DOMException(message, 'NotAllowedError');
}

// --- a denied camera -------------------------------------------------------------------------

/** Mounted stories that deny the camera; the original getUserMedia is back when none is left. */
let deniedCameraScopes = 0;
let originalGetUserMedia: MediaDevices['getUserMedia'] | undefined;

function denyCamera(): Cleanup {
  const devices = navigator.mediaDevices;
  if (deniedCameraScopes++ === 0) {
    const original = devices.getUserMedia;
    originalGetUserMedia = original;
    devices.getUserMedia = function getUserMedia(this: MediaDevices, constraints?: MediaStreamConstraints) {
      if (constraints?.video) return Promise.reject(notAllowed('Permission denied (the story denies the camera)'));
      return original.call(this, constraints);
    };
  }
  return () => {
    if (--deniedCameraScopes === 0 && originalGetUserMedia) {
      devices.getUserMedia = originalGetUserMedia;
      originalGetUserMedia = undefined;
    }
  };
}

/**
 * The user denied the camera: while the story is mounted, this page's `getUserMedia` rejects with
 * `NotAllowedError` whenever video is asked for (the microphone still works). Page-wide, as a
 * permission is; other pages (the guests' iframes) are not affected.
 */
export function withDeniedCamera<Args>(): Decorator<Args> {
  return (story) => html`<story-scope .effect=${denyCamera}>${story()}</story-scope>`;
}

// --- blocked autoplay ------------------------------------------------------------------------

/** Stories whose audio is still blocked: no click inside them yet. */
const blockedScopes = new Set<StoryScope>();
/** Mounted stories that block audio, blocked or not; the original play() is back when none is left. */
let blockingAudioScopes = 0;
let originalPlay: HTMLMediaElement['play'] | undefined;

/** Whether `node` is inside `scope`, across shadow roots (the audio lives in the element's). */
function composedContains(scope: Node, node: Node): boolean {
  for (let current: Node | null = node; current; ) {
    if (current === scope) return true;
    const root = current.getRootNode();
    current = current.parentNode ?? (root instanceof ShadowRoot ? root.host : null);
  }
  return false;
}

function blockAudio(scope: StoryScope): Cleanup {
  if (blockingAudioScopes++ === 0) {
    const original = HTMLMediaElement.prototype.play;
    originalPlay = original;
    HTMLMediaElement.prototype.play = function play(this: HTMLMediaElement) {
      // Muted media may autoplay (as in browsers); sound waits for the user.
      const blocked = !this.muted && [...blockedScopes].some((blocking) => composedContains(blocking, this));
      if (blocked) {
        return Promise.reject(notAllowed("play() failed because the user didn't interact with the document first"));
      }
      return original.call(this);
    };
  }
  blockedScopes.add(scope);
  // The browser lifts the block on a user gesture; a click inside the story (such as on "Enable
  // audio", whose handler then calls resumeAudio()) is that gesture here. Capture phase, so the
  // block is lifted before the button's own handler plays the audio.
  const unblock = () => blockedScopes.delete(scope);
  scope.addEventListener('click', unblock, { capture: true, once: true });
  return () => {
    scope.removeEventListener('click', unblock, { capture: true });
    blockedScopes.delete(scope);
    if (--blockingAudioScopes === 0 && originalPlay) {
      HTMLMediaElement.prototype.play = originalPlay;
      originalPlay = undefined;
    }
  };
}

/**
 * The browser's autoplay policy: while the story is mounted, `play()` of a media element with
 * sound inside it rejects with `NotAllowedError` until the user clicks in the story, as Chromium
 * does before the page has had a user gesture. The element then shows its "enable audio" control;
 * clicking it (a gesture) calls `resumeAudio()`, which plays.
 */
export function withBlockedAudio<Args>(): Decorator<Args> {
  return (story) => html`<story-scope .effect=${blockAudio}>${story()}</story-scope>`;
}
