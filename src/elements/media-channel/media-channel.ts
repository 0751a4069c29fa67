/**
 * `<ir-media-channel>`: joins a media channel (voice, video, screen share) and shows its participants.
 * This file is the element's public face and its lease, so it joins as soon as it is in the
 * document; the devices, tiles and controls (media-channel-view.ts) load alongside, in their own
 * chunk, and the members that need them wait for it.
 */
import { ContextConsumer } from '@lit/context';
import { css, LitElement, nothing, type PropertyValues } from 'lit';
import { IrError } from '../../core/errors.js';
import type { ConnectionState, Peer, TokenProvider } from '../../core/instance-spec.js';
import { SignalWatcher, signal } from '../../core/signals.js';
import type { MediaSource, Topology } from '../../protocol/index.js';
import type { AcquireSpec, Lease, RemoteTracks } from '../../registry/instance-registry.js';
import type { RemoteTrack } from '../../transports/transport-adapter.js';
import {
  IrErrorEvent,
  IrParticipantJoinEvent,
  IrParticipantLeaveEvent,
  IrTrackAddedEvent,
  IrTrackRemovedEvent,
  type Participant,
  type TrackSource,
} from '../events.js';
import { LeaseController } from '../lease-controller.js';
import { type RoomsContextValue, roomsContext } from '../rooms-provider/rooms-context.js';
import { defaultApiUrl, IrWorldInstance } from '../world-instance/world-instance.js';
import type { MediaChannelView } from './media-channel-view.js';
import type { DeviceSelectKind, MediaChannelStringOverrides } from './strings.js';

export type { MediaChannelStringOverrides, MediaChannelStrings } from './strings.js';
export type MediaChannelTheme = 'auto' | 'light' | 'dark';

/** The name a track's source has in the kit's events. */
export const trackSourceOf: Record<MediaSource, TrackSource> = {
  microphone: 'audio',
  camera: 'video',
  screen: 'screen',
  screenAudio: 'screenAudio',
};

function trackEvent(type: typeof IrTrackAddedEvent | typeof IrTrackRemovedEvent, remote: RemoteTrack): Event {
  return new type({ peerID: remote.peerID, source: trackSourceOf[remote.source], track: remote.track, local: false });
}

const NOBODY: ReadonlySet<string> = new Set();

function participantOf(peer: Peer, tracks: RemoteTracks | undefined, speaking: ReadonlySet<string>): Participant {
  const sources = tracks?.get(peer.peerID);
  const microphone = sources?.get('microphone');
  const participant: Participant = {
    peerID: peer.peerID,
    name: peer.name,
    muted: !microphone || microphone.paused,
    speaking: speaking.has(peer.peerID),
  };
  if (microphone) participant.audio = microphone.track;
  const camera = sources?.get('camera');
  if (camera) participant.video = camera.track;
  const screen = sources?.get('screen');
  if (screen) participant.screen = screen.track;
  return participant;
}

/**
 * Joins the media channel of a world instance (or any channel by `channel-id`) and shows a tile per
 * participant, oneself first, and a control bar. Nested in an `<ir-world-instance>` without
 * `channel-id`, it waits for that instance's channel and joins it.
 *
 * With `audio` / `video` it captures the microphone / camera on join and publishes them (if one of
 * them is denied or missing it joins with the other, and shows why); remote video plays in the
 * tiles and remote audio through `<audio>` elements. Every track the channel started is stopped
 * when it is left or removed from the document.
 *
 * @tagname ir-media-channel
 * @summary Joins a voice/video channel and shows participant tiles and controls.
 *
 * @slot - Extra content after the tiles (e.g. the app's own controls).
 * @slot controls - Replaces the whole built-in control bar and device menu.
 * @slot controls-end - Extra controls at the end of the built-in control bar.
 *
 * @event {IrStateChangeEvent} ir-state-change - The connection state changed, or a reconnection made its next try; `detail: {state, previous, reason?, attempt?}`.
 * @event {IrParticipantJoinEvent} ir-participant-join - A participant joined; `detail: {participant}`.
 * @event {IrParticipantLeaveEvent} ir-participant-leave - A participant left; `detail: {participant}`.
 * @event {IrTrackAddedEvent} ir-track-added - A track started; `detail: {peerID, source, track, local}`.
 * @event {IrTrackRemovedEvent} ir-track-removed - A track ended; `detail: {peerID, source, track, local}`.
 * @event {IrActiveSpeakerChangeEvent} ir-active-speaker-change - The loudest speaking participant (oneself included) changed; `detail: {peerID}` (`null`: nobody speaks).
 * @event {IrAudioBlockedEvent} ir-audio-blocked - The browser blocked audio playback until a user gesture; once per blocked period. Call `resumeAudio()` from a gesture.
 * @event {IrDeviceErrorEvent} ir-device-error - A camera, microphone or screen could not be used; `detail: {kind, error}`.
 * @event {IrErrorEvent} ir-error - Something failed; `detail: {error}` with an `IrError`.
 *
 * @csspart grid - The list of tiles; `data-count` is the number of tiles.
 * @csspart tile - One tile (`data-peer-id`, `data-source`, `data-self`, `data-muted`, `data-speaking`, `data-video`).
 * @csspart screen-tile - A screen-share tile (also a `tile`).
 * @csspart video - A participant's camera video.
 * @csspart screen - A shared screen's video.
 * @csspart avatar - Initials or avatar image of a tile without video.
 * @csspart label - The name and mute icon at the bottom of a tile.
 * @csspart name - A participant's name.
 * @csspart mute-indicator - The muted-microphone icon of a tile.
 * @csspart icon - Every icon.
 * @csspart status-bar - The bar with the state and the controls.
 * @csspart state - The connection state label (`data-state`).
 * @csspart controls - The built-in control bar (a toolbar).
 * @csspart control - Every control button.
 * @csspart control-label - The text of a control button (visually hidden when the element is narrow).
 * @csspart microphone - The microphone toggle.
 * @csspart camera - The camera toggle.
 * @csspart screen-share - The screen-share toggle.
 * @csspart devices - The button that opens the device menu.
 * @csspart leave - The leave button.
 * @csspart join - The join button shown after leaving.
 * @csspart device-menu - The menu with the device selects.
 * @csspart device-field - A label and its device select.
 * @csspart device-label - The label of a device select.
 * @csspart device-select - A device select.
 * @csspart enable-audio - The button shown while the browser blocks audio.
 * @csspart audio-notice - The bar around the enable-audio button.
 * @csspart notice - The last device error (`data-kind`).
 * @csspart dismiss - The button that dismisses the notice.
 *
 * @cssproperty --ir-font - Font of tiles and controls.
 * @cssproperty --ir-color - Text color.
 * @cssproperty --ir-background - Background of the element.
 * @cssproperty --ir-gap - Space between tiles and controls.
 * @cssproperty --ir-radius - Corner radius of tiles and buttons.
 * @cssproperty --ir-tile-min-height - Smallest height of a tile.
 * @cssproperty --ir-tile-background - Background of a tile without video.
 * @cssproperty --ir-tile-color - Text color on a tile.
 * @cssproperty --ir-avatar-background - Background of the initials.
 * @cssproperty --ir-avatar-color - Color of the initials.
 * @cssproperty --ir-speaking-color - The ring around a speaking participant's tile.
 * @cssproperty --ir-muted-color - Background of the mute icon.
 * @cssproperty --ir-status-bar-background - Background of the status bar.
 * @cssproperty --ir-status-bar-padding - Padding of the status bar.
 * @cssproperty --ir-button-background - Background of a control.
 * @cssproperty --ir-button-color - Text color of a control.
 * @cssproperty --ir-button-border - Border color of a control.
 * @cssproperty --ir-button-pressed-background - Background of a control that is on.
 * @cssproperty --ir-button-pressed-color - Text color of a control that is on.
 * @cssproperty --ir-danger-color - Background of the leave button.
 * @cssproperty --ir-focus-color - Focus ring color.
 * @cssproperty --ir-notice-background - Background of the device-error notice.
 * @cssproperty --ir-notice-color - Text color of the device-error notice.
 * @cssproperty --ir-state-color - Dot of an idle or disconnected state.
 * @cssproperty --ir-connected-color - Dot of the connected state.
 * @cssproperty --ir-pending-color - Dot of the provisioning, connecting and reconnecting states.
 * @cssproperty --ir-failed-color - Dot of the failed state.
 */
export class IrMediaChannel extends SignalWatcher(LitElement) {
  // The view adopts the full styles when it loads; until then the element shows nothing.
  static override styles = css`
    :host {
      display: block;
    }
  `;

  static override properties = {
    channelId: { type: String, attribute: 'channel-id' },
    apiUrl: { type: String, attribute: 'api-url' },
    token: { type: String },
    audio: { type: Boolean },
    video: { type: Boolean },
    topology: { type: String },
    tokenProvider: { attribute: false },
    strings: { attribute: false },
    theme: { type: String, reflect: true },
  };

  /** The channel to join; when absent inside an `<ir-world-instance>`, that instance's channel. */
  declare channelId: string | undefined;
  /** Base URL of the rooms API; defaults to the world instance's, a provider's, else `/api` here. */
  declare apiUrl: string | undefined;
  /** An access token (JWT); defaults to the world instance's or a provider's. */
  declare token: string | undefined;
  /** Publish the microphone on join. */
  declare audio: boolean;
  /** Publish the camera on join. */
  declare video: boolean;
  /** `sfu` or `p2p`: a hint the server may honour. */
  declare topology: Topology | undefined;
  /** Called before every provision and reconnect for a fresh token. */
  declare tokenProvider: TokenProvider | undefined;
  /**
   * Overrides of the built-in strings (labels, states, messages); the rest come from the locale of
   * the element's `lang`, else the closest ancestor's, else the document's, else English.
   */
  declare strings: MediaChannelStringOverrides | undefined;
  /** `auto` (follows `prefers-color-scheme`), `light` or `dark`. */
  declare theme: MediaChannelTheme;

  readonly #internals: ElementInternals;
  #provided: RoomsContextValue = {};
  readonly #lease: LeaseController;
  /** The lease the view publishes on (set while attached), handed over when the view loads after it. */
  #attached: Lease | null = null;
  /** The body, once loaded; a signal so the watcher renders it when it arrives. */
  readonly #view = signal<MediaChannelView | undefined>(undefined);
  #viewLoad: Promise<MediaChannelView> | undefined;
  /** Listeners that live while the element is in the document. */
  #inDocument = new AbortController();

  constructor() {
    super();
    this.audio = false;
    this.video = false;
    this.theme = 'auto';
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
      onPeerJoin: (peer) =>
        this.#emit(new IrParticipantJoinEvent({ participant: participantOf(peer, this.#lease.tracks, NOBODY) })),
      onPeerLeave: (peer) =>
        this.#emit(new IrParticipantLeaveEvent({ participant: participantOf(peer, this.#lease.tracks, NOBODY) })),
      onTrackAdded: (remote) => this.#emit(trackEvent(IrTrackAddedEvent, remote)),
      onTrackRemoved: (remote) => this.#emit(trackEvent(IrTrackRemovedEvent, remote)),
      onAttach: (lease) => {
        this.#attached = lease;
        this.#view.get()?.attach(lease);
      },
      onRemoved: () => {
        this.#attached = null;
        this.#view.get()?.stop();
      },
    });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#inDocument.abort();
    this.#inDocument = new AbortController();
    const view = this.#view.get();
    if (view) view.connected(this.#inDocument.signal);
    else void this.#loadView().catch(() => undefined);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#inDocument.abort();
  }

  /** Loads the body once; the element reports a failed load as `ir-error` and the members reject. */
  #loadView(): Promise<MediaChannelView> {
    this.#viewLoad ??= import('./media-channel-view.js').then(
      ({ MediaChannelView }) => {
        const view = new MediaChannelView({
          element: this,
          lease: this.#lease,
          world: () => this.#world(),
          emit: (event) => this.#emit(event),
        });
        if (this.isConnected) view.connected(this.#inDocument.signal);
        if (this.#attached) view.attach(this.#attached);
        this.#view.set(view);
        return view;
      },
      (cause: unknown) => {
        const error = new IrError('NETWORK_ERROR', `the media channel's code could not be loaded: ${String(cause)}`, {
          cause,
        });
        this.#viewLoad = undefined;
        this.#emit(new IrErrorEvent({ error }));
        throw error;
      },
    );
    return this.#viewLoad;
  }

  /** Waits for the body too, so `updateComplete` means the tiles and controls are rendered. */
  protected override async getUpdateComplete(): Promise<boolean> {
    let complete = await super.getUpdateComplete();
    if (!this.#view.get() && this.#viewLoad) {
      await this.#viewLoad.catch(() => undefined);
      complete = await super.getUpdateComplete();
    }
    return complete;
  }

  /** `idle`, `provisioning`, `connecting`, `connected`, `reconnecting`, `disconnected` or `failed`. */
  get state(): ConnectionState {
    return this.#lease.state;
  }

  /** The *other* participants by peerID (the same keys as the world instance's `peers`). */
  get participants(): ReadonlyMap<string, Participant> {
    const tracks = this.#lease.tracks;
    const speaking = this.#view.get()?.speaking ?? NOBODY;
    return new Map([...this.#lease.peers.values()].map((peer) => [peer.peerID, participantOf(peer, tracks, speaking)]));
  }

  /** One's own tracks (microphone, camera, screen), or `null` before any. */
  get localStream(): MediaStream | null {
    return this.#view.get()?.localStream ?? null;
  }

  /** The error that made the state `failed`, else `null`. */
  get error(): IrError | null {
    return this.#lease.error;
  }

  /** The channel in use: `channel-id`, or the enclosing world instance's channel. */
  get resolvedChannelId(): string | null {
    return this.channelId || this.#world()?.instance?.channelId || null;
  }

  /** Whether one's microphone is captured and not muted. */
  get microphoneEnabled(): boolean {
    return this.#view.get()?.isOn('microphone') ?? false;
  }

  /** Whether one's camera is captured and not paused. */
  get cameraEnabled(): boolean {
    return this.#view.get()?.isOn('camera') ?? false;
  }

  /** Whether one shares a screen. */
  get screenSharing(): boolean {
    return this.#view.get()?.screenSharing ?? false;
  }

  /** Whether the browser blocks remote audio until `resumeAudio()` is called from a user gesture. */
  get audioBlocked(): boolean {
    return this.#view.get()?.audioBlocked ?? false;
  }

  /**
   * Turns the microphone on (capturing it the first time) or mutes it; others see the mute as
   * `participants.get(id).muted`.
   */
  setMicrophoneEnabled(on: boolean): Promise<void> {
    return this.#withView((view) => view.setEnabled('microphone', on));
  }

  /** Turns the camera on (capturing it the first time) or pauses it. */
  setCameraEnabled(on: boolean): Promise<void> {
    return this.#withView((view) => view.setEnabled('camera', on));
  }

  /** Shares the screen (the browser asks which); ends by `stopScreenShare()` or the browser's own button. */
  startScreenShare(): Promise<void> {
    return this.#withView((view) => view.startScreenShare());
  }

  /** Stops sharing the screen. */
  stopScreenShare(): Promise<void> {
    return this.#withView((view) => view.stopScreenShare());
  }

  /**
   * Switches the microphone, camera or (where the browser can) speaker to another device; works
   * before joining too (the new track is published on join). Rejects with `NOT_FOUND` for a device
   * the browser does not list.
   */
  selectDevice(kind: DeviceSelectKind, deviceId: string): Promise<void> {
    return this.#withView((view) => view.selectDevice(kind, deviceId));
  }

  /** Resumes audio playback after `ir-audio-blocked` (call it from a user gesture). */
  resumeAudio(): Promise<void> {
    return this.#withView((view) => view.resumeAudio());
  }

  /** Leaves the channel and stops one's own tracks; the element stays `disconnected` until `reconnect()`. */
  leave(): void {
    this.#view.get()?.stop();
    this.#lease.leave();
  }

  /** Joins again; resolves when connected, rejects with the error. */
  reconnect(): Promise<void> {
    return this.#lease.reconnect();
  }

  /** Runs `work` on the body, loading it first when needed. */
  #withView(work: (view: MediaChannelView) => Promise<void>): Promise<void> {
    const view = this.#view.get();
    return view ? work(view) : this.#loadView().then(work);
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

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    this.#view.get()?.updated();
  }

  protected override render() {
    // Read here so the watcher re-renders (and re-syncs the lease) when the world's channel appears.
    this.resolvedChannelId;
    return this.#view.get()?.render() ?? nothing;
  }
}
