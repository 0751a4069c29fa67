/** `<ir-media-channel>`: joins a media channel (voice, video, screen share) and shows its participants. */
import { ContextConsumer } from '@lit/context';
import { html, LitElement } from 'lit';
import { IrError } from '../../core/errors.js';
import type { ConnectionState, Peer, TokenProvider } from '../../core/instance-spec.js';
import { SignalWatcher } from '../../core/signals.js';
import type { Topology } from '../../protocol/index.js';
import type { AcquireSpec } from '../../registry/instance-registry.js';
import { IrErrorEvent, IrParticipantJoinEvent, IrParticipantLeaveEvent, type Participant } from '../events.js';
import { LeaseController } from '../lease-controller.js';
import { type RoomsContextValue, roomsContext } from '../rooms-provider/rooms-context.js';
import { initialsOf } from '../shared-styles.js';
import { defaultApiUrl, IrWorldInstance } from '../world-instance/world-instance.js';
import { mediaChannelStyles } from './media-channel.styles.js';

function participantOf(peer: Peer): Participant {
  return { peerID: peer.peerID, name: peer.name, muted: true, speaking: false };
}

/**
 * Joins the media channel of a world instance (or any channel by `channel-id`) and shows a tile per
 * participant. Nested in an `<ir-world-instance>` without `channel-id`, it waits for that instance's
 * channel and joins it.
 *
 * Media arrives with issues 3 and 4: until then the channel reaches `connected` and fills
 * `participants` from presence, and the media methods reject with an `IrError` `UNSUPPORTED`.
 *
 * @tagname ir-media-channel
 * @summary Joins a voice/video channel and shows participant tiles and controls.
 *
 * @slot - Extra content after the tiles (e.g. the app's own controls).
 *
 * @event {IrStateChangeEvent} ir-state-change - The connection state changed; `detail: {state, previous, reason?}`.
 * @event {IrParticipantJoinEvent} ir-participant-join - A participant joined; `detail: {participant}`.
 * @event {IrParticipantLeaveEvent} ir-participant-leave - A participant left; `detail: {participant}`.
 * @event {IrTrackAddedEvent} ir-track-added - A track started; `detail: {peerID, source, track, local}`.
 * @event {IrTrackRemovedEvent} ir-track-removed - A track ended; `detail: {peerID, source, track, local}`.
 * @event {IrActiveSpeakerChangeEvent} ir-active-speaker-change - The loudest participant changed; `detail: {peerID}`.
 * @event {IrAudioBlockedEvent} ir-audio-blocked - The browser blocked audio playback until a user gesture.
 * @event {IrDeviceErrorEvent} ir-device-error - A camera, microphone or screen could not be used; `detail: {kind, error}`.
 * @event {IrErrorEvent} ir-error - Something failed; `detail: {error}` with an `IrError`.
 *
 * @csspart tiles - The grid of participant tiles.
 * @csspart tile - One participant's tile.
 * @csspart controls - The control bar.
 * @csspart control - Every control button.
 * @csspart microphone - The microphone toggle.
 * @csspart camera - The camera toggle.
 * @csspart status-bar - The bar with the state.
 * @csspart state - The connection state label.
 *
 * @cssproperty --ir-font - Font of tiles and controls.
 * @cssproperty --ir-gap - Space between tiles and controls.
 * @cssproperty --ir-radius - Corner radius of tiles and buttons.
 * @cssproperty --ir-tile-min-width - Smallest width of a tile.
 * @cssproperty --ir-tile-background - Background of a tile without video.
 * @cssproperty --ir-tile-color - Text color on a tile.
 * @cssproperty --ir-focus-color - Focus ring color.
 */
export class IrMediaChannel extends SignalWatcher(LitElement) {
  static override styles = mediaChannelStyles;

  static override properties = {
    channelId: { type: String, attribute: 'channel-id' },
    apiUrl: { type: String, attribute: 'api-url' },
    token: { type: String },
    audio: { type: Boolean },
    video: { type: Boolean },
    topology: { type: String },
    tokenProvider: { attribute: false },
  };

  /** The channel to join; when absent inside an `<ir-world-instance>`, that instance's channel. */
  declare channelId: string | undefined;
  /** Base URL of the rooms API; defaults to the world instance's, a provider's, else `/api` here. */
  declare apiUrl: string | undefined;
  /** An access token (JWT); defaults to the world instance's or a provider's. */
  declare token: string | undefined;
  /** Publish the microphone on join (arrives with the media transports). */
  declare audio: boolean;
  /** Publish the camera on join (arrives with the media transports). */
  declare video: boolean;
  /** `sfu` or `p2p`: a hint the server may honour. */
  declare topology: Topology | undefined;
  /** Called before every provision and reconnect for a fresh token. */
  declare tokenProvider: TokenProvider | undefined;

  readonly #internals: ElementInternals;
  #provided: RoomsContextValue = {};
  readonly #lease: LeaseController;

  constructor() {
    super();
    this.audio = false;
    this.video = false;
    this.#internals = this.attachInternals();
    this.#internals.states.add('idle');
    new ContextConsumer(this, {
      context: roomsContext,
      subscribe: true,
      callback: (value) => {
        this.#provided = value;
        this.requestUpdate();
      },
    });
    this.#lease = new LeaseController(this, {
      internals: this.#internals,
      spec: () => this.#spec(),
      onPeerJoin: (peer) => this.dispatchEvent(new IrParticipantJoinEvent({ participant: participantOf(peer) })),
      onPeerLeave: (peer) => this.dispatchEvent(new IrParticipantLeaveEvent({ participant: participantOf(peer) })),
    });
  }

  /** `idle`, `provisioning`, `connecting`, `connected`, `reconnecting`, `disconnected` or `failed`. */
  get state(): ConnectionState {
    return this.#lease.state;
  }

  /** The *other* participants by peerID (the same keys as the world instance's `peers`). */
  get participants(): ReadonlyMap<string, Participant> {
    return new Map([...this.#lease.peers.values()].map((peer) => [peer.peerID, participantOf(peer)]));
  }

  /** One's own tracks, once publishing (arrives with the media transports). */
  get localStream(): MediaStream | null {
    return null;
  }

  /** The error that made the state `failed`, else `null`. */
  get error(): IrError | null {
    return this.#lease.error;
  }

  /** The channel in use: `channel-id`, or the enclosing world instance's channel. */
  get resolvedChannelId(): string | null {
    return this.channelId || this.#world()?.instance?.channelId || null;
  }

  /** Turns the microphone on or off. Rejects with `UNSUPPORTED` until the media transports land. */
  setMicrophoneEnabled(_on: boolean): Promise<void> {
    return this.#unsupported('setMicrophoneEnabled');
  }

  /** Turns the camera on or off. Rejects with `UNSUPPORTED` until the media transports land. */
  setCameraEnabled(_on: boolean): Promise<void> {
    return this.#unsupported('setCameraEnabled');
  }

  /** Shares the screen. Rejects with `UNSUPPORTED` until the media transports land. */
  startScreenShare(): Promise<void> {
    return this.#unsupported('startScreenShare');
  }

  /** Stops sharing the screen. Rejects with `UNSUPPORTED` until the media transports land. */
  stopScreenShare(): Promise<void> {
    return this.#unsupported('stopScreenShare');
  }

  /** Switches the input device of a kind. Rejects with `UNSUPPORTED` until the media transports land. */
  selectDevice(_kind: 'audioinput' | 'videoinput' | 'audiooutput', _deviceId: string): Promise<void> {
    return this.#unsupported('selectDevice');
  }

  /** Resumes audio playback after `ir-audio-blocked` (call from a user gesture). Rejects with `UNSUPPORTED` for now. */
  resumeAudio(): Promise<void> {
    return this.#unsupported('resumeAudio');
  }

  /** Leaves the channel; the element stays `disconnected` until `reconnect()`. */
  leave(): void {
    this.#lease.leave();
  }

  /** Joins again; resolves when connected, rejects with the error. */
  reconnect(): Promise<void> {
    return this.#lease.reconnect();
  }

  #unsupported(method: string): Promise<never> {
    const error = new IrError('UNSUPPORTED', `${method}() is not available yet: media arrives with issues 3 and 4`, {
      retryable: false,
    });
    this.#emit(new IrErrorEvent({ error }));
    return Promise.reject(error);
  }

  #world(): IrWorldInstance | null {
    const world = this.closest('ir-world-instance');
    return world instanceof IrWorldInstance ? world : null;
  }

  #spec(): AcquireSpec | null {
    const world = this.#world();
    const channelId = this.resolvedChannelId;
    if (!channelId) return null;
    const provided = this.#provided;
    const spec: AcquireSpec = {
      kind: 'media',
      apiUrl: this.apiUrl || world?.apiUrl || provided.apiUrl || defaultApiUrl(),
      channelId,
    };
    if (this.topology === 'sfu' || this.topology === 'p2p') spec.topology = this.topology;
    const token = this.token || world?.token || provided.token;
    if (token) spec.token = token;
    const tokenProvider = this.tokenProvider ?? world?.tokenProvider ?? provided.tokenProvider;
    if (tokenProvider) spec.tokenProvider = tokenProvider;
    if (world?.displayName) spec.displayName = world.displayName;
    if (world?.avatarUrl) spec.avatarUrl = world.avatarUrl;
    if (provided.iceServers) spec.iceServers = provided.iceServers;
    return spec;
  }

  /** Dispatches through one place; the manifest lists events from the class JSDoc instead. */
  #emit(event: Event): void {
    this.dispatchEvent(event);
  }

  // The methods already report failures as ir-error events; a click has no promise to hand them to.
  #toggleMicrophone = () => this.setMicrophoneEnabled(true).catch(() => undefined);
  #toggleCamera = () => this.setCameraEnabled(true).catch(() => undefined);

  protected override render() {
    // Read here so the watcher re-renders (and re-syncs the lease) when the world's channel appears.
    this.resolvedChannelId;
    const state = this.state;
    const participants = [...this.participants.values()];
    return html`<ul part="tiles" aria-label="Participants">
        ${participants.map(
          (p) => html`<li part="tile" title=${p.name} aria-label=${p.name}>${initialsOf(p.name)}</li>`,
        )}
      </ul>
      <slot></slot>
      <div part="status-bar">
        <span part="state" data-state=${state} role="status">${state}</span>
        <span part="controls" role="group" aria-label="Media controls">
          <button part="control microphone" type="button" aria-pressed="false" @click=${this.#toggleMicrophone}>
            Microphone
          </button>
          <button part="control camera" type="button" aria-pressed="false" @click=${this.#toggleCamera}>
            Camera
          </button>
        </span>
      </div>`;
  }
}
