/**
 * The participant tiles of `<ir-media-channel>`: template functions over plain views, and the
 * bookkeeping that decides whether a video track is worth showing.
 */
import { html, nothing } from 'lit';
import { live } from 'lit/directives/live.js';
import { signal } from '../../core/signals.js';
import { initialsOf } from '../shared-styles.js';
import { icons } from './icons.js';
import type { MediaChannelStrings } from './strings.js';

/** One camera tile: a participant, oneself included. */
export interface TileView {
  peerID: string;
  name: string;
  avatarUrl?: string | undefined;
  self: boolean;
  muted: boolean;
  speaking: boolean;
  /** The camera track, only while it is live and unpaused (else the avatar shows). */
  video: MediaStreamTrack | null;
}

/** One screen share. */
export interface ScreenView {
  peerID: string;
  name: string;
  self: boolean;
  track: MediaStreamTrack;
}

/** One stream per track, so re-rendering hands the same `srcObject` to a playing element. */
const streams = new WeakMap<MediaStreamTrack, MediaStream>();
export function streamOf(track: MediaStreamTrack): MediaStream {
  let stream = streams.get(track);
  if (!stream) {
    stream = new MediaStream([track]);
    streams.set(track, stream);
  }
  return stream;
}

/**
 * Watches tracks for `ended`, `mute` and `unmute`, so a tile drops to its avatar when a track ends
 * unexpectedly or stops delivering frames, and shows the video again when it comes back.
 */
export class TrackLiveness {
  readonly #version = signal(0);
  readonly #watched = new WeakSet<MediaStreamTrack>();
  readonly #signal: AbortSignal;

  constructor(signal: AbortSignal) {
    this.#signal = signal;
  }

  /** Whether `track` delivers frames; reading it makes the caller re-render when that changes. */
  isLive(track: MediaStreamTrack | undefined): track is MediaStreamTrack {
    this.#version.get();
    if (!track) return false;
    if (!this.#watched.has(track)) {
      this.#watched.add(track);
      const bump = () => this.#version.set(this.#version.get() + 1);
      for (const type of ['ended', 'mute', 'unmute']) track.addEventListener(type, bump, { signal: this.#signal });
    }
    return track.readyState === 'live' && !track.muted;
  }
}

function avatar(view: TileView) {
  const face = view.avatarUrl ? html`<img src=${view.avatarUrl} alt="" />` : initialsOf(view.name);
  return html`<span part="avatar" aria-hidden="true">${face}</span>`;
}

export function tileTemplate(view: TileView, strings: MediaChannelStrings) {
  const name = view.self ? strings.you : view.name;
  const video = view.video;
  return html`<li
    part="tile"
    data-peer-id=${view.peerID}
    data-source="camera"
    ?data-self=${view.self}
    data-muted=${String(view.muted)}
    data-speaking=${String(view.speaking)}
    data-video=${String(video !== null)}
  >
    ${
      video
        ? html`<video part="video" .srcObject=${live(streamOf(video))} autoplay playsinline muted></video>`
        : avatar({ ...view, name: view.self ? view.name || strings.you : view.name })
    }
    <span part="label">
      <span part="name">${name}</span>
      ${
        view.muted
          ? html`<span part="mute-indicator" role="img" aria-label=${strings.muted}>${icons.microphoneOff}</span>`
          : nothing
      }
      ${view.speaking ? html`<span class="visually-hidden">${strings.speaking}</span>` : nothing}
    </span>
  </li>`;
}

export function screenTileTemplate(view: ScreenView, strings: MediaChannelStrings) {
  const label = strings.screenOf(view.self ? strings.you : view.name);
  return html`<li part="tile screen-tile" data-peer-id=${view.peerID} data-source="screen" ?data-self=${view.self}>
    <video part="screen" .srcObject=${live(streamOf(view.track))} autoplay playsinline muted></video>
    <span part="label"><span part="name">${label}</span></span>
  </li>`;
}
