/** `<ir-media-channel>`: joins a media channel (voice, video, screen share) and shows its participants. */
import { ContextConsumer } from '@lit/context';
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { live } from 'lit/directives/live.js';
import { repeat } from 'lit/directives/repeat.js';
import { IrError } from '../../core/errors.js';
import type { ConnectionState, Peer, TokenProvider } from '../../core/instance-spec.js';
import { SignalWatcher, signal } from '../../core/signals.js';
import type { MediaSource, Topology } from '../../protocol/index.js';
import type { AcquireSpec, RemoteTracks } from '../../registry/instance-registry.js';
import type { RemoteTrack } from '../../transports/transport-adapter.js';
import {
  IrActiveSpeakerChangeEvent,
  IrAudioBlockedEvent,
  IrDeviceErrorEvent,
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
import { ActiveSpeakers } from './active-speakers.js';
import { type ControlsView, controlsTemplate } from './controls.js';
import { canSelectSpeaker, DeviceList } from './device-list.js';
import { icons } from './icons.js';
import { LocalMedia } from './local-media.js';
import { mediaChannelStyles } from './media-channel.styles.js';
import { RemoteAudio } from './remote-audio.js';
import {
  type DeviceErrorKind,
  type DeviceSelectKind,
  langOf,
  type MediaChannelStringOverrides,
  type MediaChannelStrings,
  resolveStrings,
} from './strings.js';
import { type ScreenView, screenTileTemplate, streamOf, type TileView, TrackLiveness, tileTemplate } from './tile.js';

export type { MediaChannelStringOverrides, MediaChannelStrings } from './strings.js';
export type MediaChannelTheme = 'auto' | 'light' | 'dark';

const trackSourceOf: Record<MediaSource, TrackSource> = {
  microphone: 'audio',
  camera: 'video',
  screen: 'screen',
  screenAudio: 'screenAudio',
};

const deviceKindOf: Record<MediaSource, DeviceErrorKind> = {
  microphone: 'audioinput',
  camera: 'videoinput',
  screen: 'display',
  screenAudio: 'display',
};

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

/** Columns the grid wants for its tiles (a screen share counts as four); CSS caps them by width. */
function columnsFor(tiles: number, screens: number): number {
  return Math.max(1, Math.min(4, Math.ceil(Math.sqrt(tiles + 4 * screens))));
}

interface DeviceErrorNotice {
  kind: DeviceErrorKind;
  error: IrError;
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
 * @event {IrStateChangeEvent} ir-state-change - The connection state changed; `detail: {state, previous, reason?}`.
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
  static override styles = mediaChannelStyles;

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
  readonly #local: LocalMedia;
  readonly #devices = new DeviceList();
  /** Errors already reported as `ir-device-error`, so they are not reported twice. */
  readonly #deviceErrors = new WeakSet<IrError>();
  /** Bumped when local tracks change, so the watcher re-renders the controls and `localStream` readers. */
  readonly #localVersion = signal(0);
  readonly #menuOpen = signal(false);
  readonly #notice = signal<DeviceErrorNotice | null>(null);
  readonly #speakers = new ActiveSpeakers((peerID) => this.#emit(new IrActiveSpeakerChangeEvent({ peerID })));
  readonly #audio = new RemoteAudio({
    audios: () => [...(this.shadowRoot?.querySelectorAll('audio') ?? [])],
    devices: this.#devices,
    onBlocked: (error) => this.#emit(new IrAudioBlockedEvent({ error })),
  });
  /** The microphones the last render showed (peerID → track, oneself included); heard after the update. */
  #toHear = new Map<string, MediaStreamTrack>();
  /** Toggles still in flight: a second click is ignored rather than racing the first. */
  readonly #busy = new Set<string>();
  /** Listeners that live while the element is in the document. */
  #inDocument = new AbortController();
  #liveness = new TrackLiveness(this.#inDocument.signal);

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
    this.#local = new LocalMedia({
      changed: () => this.#localVersion.set(this.#localVersion.get() + 1),
      trackAdded: (source, track) => {
        // The device works now: its old error no longer applies.
        if (this.#notice.get()?.kind === deviceKindOf[source]) this.#notice.set(null);
        this.#emitTrack(IrTrackAddedEvent, this.#lease.selfPeerID, source, track, true);
      },
      trackRemoved: (source, track) =>
        this.#emitTrack(IrTrackRemovedEvent, this.#lease.selfPeerID, source, track, true),
      deviceError: (kind, error) => {
        this.#deviceErrors.add(error);
        this.#notice.set({ kind, error });
        this.#emit(new IrDeviceErrorEvent({ kind, error }));
      },
      error: (error) => this.#emit(new IrErrorEvent({ error })),
    });
    this.#lease = new LeaseController(this, {
      internals: this.#internals,
      spec: () => this.#spec(),
      onPeerJoin: (peer) =>
        this.#emit(new IrParticipantJoinEvent({ participant: participantOf(peer, this.#lease.tracks, NOBODY) })),
      onPeerLeave: (peer) =>
        this.#emit(new IrParticipantLeaveEvent({ participant: participantOf(peer, this.#lease.tracks, NOBODY) })),
      onTrackAdded: (remote) => this.#emitRemote(IrTrackAddedEvent, remote),
      onTrackRemoved: (remote) => this.#emitRemote(IrTrackRemovedEvent, remote),
      onAttach: (lease) => {
        this.#local.attach(lease);
        if (this.audio || this.video) {
          // Partial success (one device denied) resolves; the failure is already an ir-device-error.
          this.#local.enable({ microphone: this.audio, camera: this.video }).catch(() => undefined);
        }
      },
      onRemoved: () => {
        this.#local.stopAll();
        this.#speakers.stop();
      },
    });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#inDocument.abort();
    this.#inDocument = new AbortController();
    this.#liveness = new TrackLiveness(this.#inDocument.signal);
    this.#devices.listen(this.#inDocument.signal);
    // A `lang` set later on the element or an ancestor re-labels the UI.
    const root = this.getRootNode();
    const observer = new MutationObserver(() => this.requestUpdate());
    observer.observe(root instanceof Document ? root.documentElement : root, {
      subtree: true,
      attributes: true,
      attributeFilter: ['lang'],
    });
    this.#inDocument.signal.addEventListener('abort', () => observer.disconnect(), { once: true });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#inDocument.abort();
  }

  /** `idle`, `provisioning`, `connecting`, `connected`, `reconnecting`, `disconnected` or `failed`. */
  get state(): ConnectionState {
    return this.#lease.state;
  }

  /** The *other* participants by peerID (the same keys as the world instance's `peers`). */
  get participants(): ReadonlyMap<string, Participant> {
    const tracks = this.#lease.tracks;
    const speaking = this.#speakers.speaking;
    return new Map([...this.#lease.peers.values()].map((peer) => [peer.peerID, participantOf(peer, tracks, speaking)]));
  }

  /** One's own tracks (microphone, camera, screen), or `null` before any. */
  get localStream(): MediaStream | null {
    this.#localVersion.get();
    return this.#local.stream;
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
    this.#localVersion.get();
    return this.#local.isOn('microphone');
  }

  /** Whether one's camera is captured and not paused. */
  get cameraEnabled(): boolean {
    this.#localVersion.get();
    return this.#local.isOn('camera');
  }

  /** Whether one shares a screen. */
  get screenSharing(): boolean {
    this.#localVersion.get();
    return this.#local.track('screen') !== undefined;
  }

  /** Whether the browser blocks remote audio until `resumeAudio()` is called from a user gesture. */
  get audioBlocked(): boolean {
    return this.#audio.blocked;
  }

  /**
   * Turns the microphone on (capturing it the first time) or mutes it; others see the mute as
   * `participants.get(id).muted`.
   */
  setMicrophoneEnabled(on: boolean): Promise<void> {
    return this.#reported(on ? this.#local.enable({ microphone: true }) : this.#local.disable('microphone'));
  }

  /** Turns the camera on (capturing it the first time) or pauses it. */
  setCameraEnabled(on: boolean): Promise<void> {
    return this.#reported(on ? this.#local.enable({ camera: true }) : this.#local.disable('camera'));
  }

  /** Shares the screen (the browser asks which); ends by `stopScreenShare()` or the browser's own button. */
  startScreenShare(): Promise<void> {
    return this.#reported(this.#local.startScreenShare());
  }

  /** Stops sharing the screen. */
  stopScreenShare(): Promise<void> {
    return this.#reported(this.#local.stop('screen'));
  }

  /**
   * Switches the microphone, camera or (where the browser can) speaker to another device; works
   * before joining too (the new track is published on join). Rejects with `NOT_FOUND` for a device
   * the browser does not list.
   */
  selectDevice(kind: DeviceSelectKind, deviceId: string): Promise<void> {
    if (kind === 'audiooutput') return this.#reported(this.#audio.setSink(deviceId));
    if (kind !== 'audioinput' && kind !== 'videoinput') {
      return this.#reported(Promise.reject(IrError.invalidArgument(`unknown device kind ${String(kind)}`)));
    }
    return this.#reported(this.#local.selectDevice(kind === 'audioinput' ? 'microphone' : 'camera', deviceId));
  }

  /** Resumes audio playback after `ir-audio-blocked` (call it from a user gesture). */
  resumeAudio(): Promise<void> {
    return this.#reported(this.#audio.resume(this.#speakers.resume().catch(() => undefined)));
  }

  /** Leaves the channel and stops one's own tracks; the element stays `disconnected` until `reconnect()`. */
  leave(): void {
    this.#local.stopAll();
    this.#speakers.stop();
    this.#lease.leave();
  }

  /** Joins again; resolves when connected, rejects with the error. */
  reconnect(): Promise<void> {
    return this.#lease.reconnect();
  }

  /** A device error already went out as `ir-device-error`; anything else is reported as `ir-error`. */
  #reported(work: Promise<unknown>): Promise<void> {
    return work.then(
      () => undefined,
      (caught: unknown) => {
        const error = caught instanceof IrError ? caught : IrError.invalidState(String(caught));
        if (!this.#deviceErrors.has(error)) this.#emit(new IrErrorEvent({ error }));
        throw error;
      },
    );
  }

  #emitTrack(
    type: typeof IrTrackAddedEvent | typeof IrTrackRemovedEvent,
    peerID: string,
    source: MediaSource,
    track: MediaStreamTrack,
    local: boolean,
  ): void {
    this.#emit(new type({ peerID, source: trackSourceOf[source], track, local }));
  }

  #emitRemote(type: typeof IrTrackAddedEvent | typeof IrTrackRemovedEvent, remote: RemoteTrack): void {
    this.#emitTrack(type, remote.peerID, remote.source, remote.track, false);
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
    this.#audio.sync();
    this.#speakers.sync(this.#toHear);
  }

  // The methods already report failures as events; a click has no promise to hand them to.
  #once(key: string, work: () => Promise<unknown>): void {
    if (this.#busy.has(key)) return;
    this.#busy.add(key);
    work()
      .catch(() => undefined)
      .finally(() => this.#busy.delete(key));
  }

  #toggleMicrophone = () => this.#once('microphone', () => this.setMicrophoneEnabled(!this.microphoneEnabled));
  #toggleCamera = () => this.#once('camera', () => this.setCameraEnabled(!this.cameraEnabled));
  #toggleScreen = () =>
    this.#once('screen', () => (this.screenSharing ? this.stopScreenShare() : this.startScreenShare()));
  #resumeAudio = () => this.#once('audio', () => this.resumeAudio());
  #dismiss = () => this.#notice.set(null);

  #joinOrLeave = () => {
    if (this.#joined()) this.leave();
    else this.#once('join', () => this.reconnect());
  };

  #toggleMenu = () => {
    const open = !this.#menuOpen.get();
    this.#menuOpen.set(open);
    if (open) void this.#devices.refresh();
  };

  #onMenuKeydown = async (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || !this.#menuOpen.get()) return;
    event.preventDefault();
    this.#menuOpen.set(false);
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLButtonElement>('button[part~="devices"]')?.focus();
  };

  #select = (kind: DeviceSelectKind, deviceId: string) => {
    // On failure the select shows the device still in use again (the notice says why).
    this.#once(`select-${kind}`, () => this.selectDevice(kind, deviceId).finally(() => this.requestUpdate()));
  };

  #joined(): boolean {
    const state = this.state;
    return state !== 'idle' && state !== 'disconnected' && state !== 'failed';
  }

  #strings(): MediaChannelStrings {
    return resolveStrings(langOf(this), this.strings);
  }

  #tiles(strings: MediaChannelStrings): { tiles: TileView[]; screens: ScreenView[] } {
    const live = this.#liveness;
    const speaking = this.#speakers.speaking;
    const selfID = this.#lease.selfPeerID;
    const world = this.#world();
    this.#localVersion.get();
    const toHear = new Map<string, MediaStreamTrack>();
    const microphone = this.#local.track('microphone');
    if (microphone && microphone.readyState === 'live') toHear.set(selfID, microphone);
    const camera = this.#local.track('camera');
    const tiles: TileView[] = [
      {
        peerID: selfID,
        name: world?.displayName || strings.you,
        avatarUrl: world?.avatarUrl,
        self: true,
        muted: !this.#local.isOn('microphone'),
        speaking: speaking.has(selfID),
        video: this.#local.isOn('camera') && live.isLive(camera) ? camera : null,
      },
    ];
    const screens: ScreenView[] = [];
    const ownScreen = this.#local.track('screen');
    if (live.isLive(ownScreen)) screens.push({ peerID: selfID, name: strings.you, self: true, track: ownScreen });
    const tracks = this.#lease.tracks;
    for (const peer of this.#lease.peers.values()) {
      const sources = tracks.get(peer.peerID);
      const mic = sources?.get('microphone');
      const video = sources?.get('camera');
      const screen = sources?.get('screen');
      if (mic && mic.track.readyState === 'live') toHear.set(peer.peerID, mic.track);
      tiles.push({
        peerID: peer.peerID,
        name: peer.name,
        avatarUrl: peer.avatarUrl,
        self: false,
        muted: !mic || mic.paused,
        speaking: speaking.has(peer.peerID),
        video: video && !video.paused && live.isLive(video.track) ? video.track : null,
      });
      if (screen && !screen.paused && live.isLive(screen.track)) {
        screens.push({ peerID: peer.peerID, name: peer.name, self: false, track: screen.track });
      }
    }
    this.#toHear = toHear;
    return { tiles, screens };
  }

  #controls(strings: MediaChannelStrings) {
    const media = navigator.mediaDevices;
    const fallback = (kind: DeviceSelectKind) => (n: number) => strings.deviceFallback(kind, n);
    const view: ControlsView = {
      strings,
      microphone: this.microphoneEnabled,
      camera: this.cameraEnabled,
      screen: this.screenSharing,
      canCapture: typeof media?.getUserMedia === 'function',
      canShareScreen: typeof media?.getDisplayMedia === 'function',
      joined: this.#joined(),
      canJoinOrLeave: this.#joined() || this.resolvedChannelId !== null,
      menuOpen: this.#menuOpen.get(),
      devices: {
        audioinput: this.#devices.options('audioinput', fallback('audioinput')),
        videoinput: this.#devices.options('videoinput', fallback('videoinput')),
        audiooutput: canSelectSpeaker() ? this.#devices.options('audiooutput', fallback('audiooutput')) : null,
      },
      selected: {
        audioinput: this.#local.deviceId('microphone') ?? '',
        videoinput: this.#local.deviceId('camera') ?? '',
        audiooutput: this.#audio.sinkId,
      },
      onMicrophone: this.#toggleMicrophone,
      onCamera: this.#toggleCamera,
      onScreen: this.#toggleScreen,
      onDevices: this.#toggleMenu,
      onJoinOrLeave: this.#joinOrLeave,
      onSelect: this.#select,
      onMenuKeydown: this.#onMenuKeydown,
    };
    return controlsTemplate(view);
  }

  #noticeTemplate(strings: MediaChannelStrings) {
    const notice = this.#notice.get();
    if (!notice) return nothing;
    return html`<div part="notice" role="alert" data-kind=${notice.kind}>
      <span><strong>${strings.deviceErrors[notice.kind]}</strong> ${notice.error.message}</span>
      <button part="dismiss" type="button" aria-label=${strings.dismiss} title=${strings.dismiss} @click=${this.#dismiss}>
        ${icons.close}
      </button>
    </div>`;
  }

  #audioTemplate(strings: MediaChannelStrings) {
    if (!this.#audio.blocked) return nothing;
    return html`<div part="audio-notice">
      <span>${strings.audioBlocked}</span>
      <button part="enable-audio" type="button" @click=${this.#resumeAudio}>${icons.speaker}${strings.enableAudio}</button>
    </div>`;
  }

  protected override render() {
    // Read here so the watcher re-renders (and re-syncs the lease) when the world's channel appears.
    this.resolvedChannelId;
    const strings = this.#strings();
    const state = this.state;
    const { tiles, screens } = this.#tiles(strings);
    const remoteAudio = [...this.#toHear].filter(([id]) => id !== this.#lease.selfPeerID);
    return html`<ul
        part="grid"
        aria-label=${strings.participants}
        data-count=${tiles.length + screens.length}
        data-columns=${columnsFor(tiles.length, screens.length)}
      >
        ${repeat(
          tiles,
          (tile) => tile.peerID,
          (tile) => tileTemplate(tile, strings),
        )}
        ${repeat(
          screens,
          (screen) => screen.peerID,
          (screen) => screenTileTemplate(screen, strings),
        )}
      </ul>
      ${repeat(
        remoteAudio,
        ([id]) => id,
        ([id, track]) => html`<audio data-peer-id=${id} .srcObject=${live(streamOf(track))}></audio>`,
      )}
      <slot></slot>
      ${this.#noticeTemplate(strings)} ${this.#audioTemplate(strings)}
      <div part="status-bar">
        <span part="state" data-state=${state} role="status">${strings.states[state]}</span>
        <slot name="controls">${this.#controls(strings)}</slot>
      </div>`;
  }
}
