/** `<ir-media-channel>`: joins a media channel (voice, video, screen share) and shows its participants. */
import { ContextConsumer } from '@lit/context';
import { html, LitElement } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { IrError } from '../../core/errors.js';
import type { ConnectionState, Peer, TokenProvider } from '../../core/instance-spec.js';
import { SignalWatcher, signal } from '../../core/signals.js';
import type { MediaSource, Topology } from '../../protocol/index.js';
import type { AcquireSpec, RemoteTracks } from '../../registry/instance-registry.js';
import type { RemoteTrack } from '../../transports/transport-adapter.js';
import {
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
import { initialsOf } from '../shared-styles.js';
import { defaultApiUrl, IrWorldInstance } from '../world-instance/world-instance.js';
import { LocalMedia } from './local-media.js';
import { mediaChannelStyles } from './media-channel.styles.js';

const trackSourceOf: Record<MediaSource, TrackSource> = {
  microphone: 'audio',
  camera: 'video',
  screen: 'screen',
  screenAudio: 'screenAudio',
};

function participantOf(peer: Peer, tracks?: RemoteTracks): Participant {
  const sources = tracks?.get(peer.peerID);
  const microphone = sources?.get('microphone');
  const participant: Participant = {
    peerID: peer.peerID,
    name: peer.name,
    muted: !microphone || microphone.paused,
    speaking: false,
  };
  if (microphone) participant.audio = microphone.track;
  const camera = sources?.get('camera');
  if (camera) participant.video = camera.track;
  const screen = sources?.get('screen');
  if (screen) participant.screen = screen.track;
  return participant;
}

/** One stream per track, so re-rendering hands the same `srcObject` to a playing element. */
const streams = new WeakMap<MediaStreamTrack, MediaStream>();
function streamOf(track: MediaStreamTrack): MediaStream {
  let stream = streams.get(track);
  if (!stream) {
    stream = new MediaStream([track]);
    streams.set(track, stream);
  }
  return stream;
}

/**
 * Joins the media channel of a world instance (or any channel by `channel-id`) and shows a tile per
 * participant. Nested in an `<ir-world-instance>` without `channel-id`, it waits for that instance's
 * channel and joins it.
 *
 * With `audio` / `video` it captures the microphone / camera on join and publishes them; remote
 * video plays in the tiles and remote audio through `<audio>` elements. Every track the channel
 * started is stopped when it is left or removed from the document.
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
 * @csspart video - A participant's camera video.
 * @csspart screen - A participant's shared screen.
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
  /** Publish the microphone on join. */
  declare audio: boolean;
  /** Publish the camera on join. */
  declare video: boolean;
  /** `sfu` or `p2p`: a hint the server may honour. */
  declare topology: Topology | undefined;
  /** Called before every provision and reconnect for a fresh token. */
  declare tokenProvider: TokenProvider | undefined;

  readonly #internals: ElementInternals;
  #provided: RoomsContextValue = {};
  readonly #lease: LeaseController;
  readonly #local: LocalMedia;
  /** Errors already reported as `ir-device-error`, so they are not reported twice. */
  readonly #deviceErrors = new WeakSet<IrError>();
  /** Bumped when local tracks change, so the watcher re-renders the controls and `localStream` readers. */
  readonly #localVersion = signal(0);

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
    this.#local = new LocalMedia({
      changed: () => this.#localVersion.set(this.#localVersion.get() + 1),
      trackAdded: (source, track) => this.#emitTrack(IrTrackAddedEvent, this.#lease.selfPeerID, source, track, true),
      trackRemoved: (source, track) =>
        this.#emitTrack(IrTrackRemovedEvent, this.#lease.selfPeerID, source, track, true),
      deviceError: (kind, error) => {
        this.#deviceErrors.add(error);
        this.#emit(new IrDeviceErrorEvent({ kind, error }));
      },
      error: (error) => this.#emit(new IrErrorEvent({ error })),
    });
    this.#lease = new LeaseController(this, {
      internals: this.#internals,
      spec: () => this.#spec(),
      onPeerJoin: (peer) =>
        this.#emit(new IrParticipantJoinEvent({ participant: participantOf(peer, this.#lease.tracks) })),
      onPeerLeave: (peer) =>
        this.#emit(new IrParticipantLeaveEvent({ participant: participantOf(peer, this.#lease.tracks) })),
      onTrackAdded: (remote) => this.#emitRemote(IrTrackAddedEvent, remote),
      onTrackRemoved: (remote) => this.#emitRemote(IrTrackRemovedEvent, remote),
      onAttach: (lease) => {
        this.#local.attach(lease);
        if (this.audio || this.video) {
          this.#local.enable({ microphone: this.audio, camera: this.video }).catch(() => undefined);
        }
      },
      onRemoved: () => this.#local.stopAll(),
    });
  }

  /** `idle`, `provisioning`, `connecting`, `connected`, `reconnecting`, `disconnected` or `failed`. */
  get state(): ConnectionState {
    return this.#lease.state;
  }

  /** The *other* participants by peerID (the same keys as the world instance's `peers`). */
  get participants(): ReadonlyMap<string, Participant> {
    const tracks = this.#lease.tracks;
    return new Map([...this.#lease.peers.values()].map((peer) => [peer.peerID, participantOf(peer, tracks)]));
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

  /** Switches the microphone, camera or (where the browser can) speaker to another device. */
  selectDevice(kind: 'audioinput' | 'videoinput' | 'audiooutput', deviceId: string): Promise<void> {
    if (kind === 'audiooutput') return this.#reported(this.#setSink(deviceId));
    return this.#reported(this.#local.selectDevice(kind === 'audioinput' ? 'microphone' : 'camera', deviceId));
  }

  /** Resumes audio playback after `ir-audio-blocked` (call from a user gesture). */
  resumeAudio(): Promise<void> {
    const audios = [...(this.shadowRoot?.querySelectorAll('audio') ?? [])];
    return this.#reported(Promise.all(audios.map((audio) => audio.play())).then(() => undefined));
  }

  /** Leaves the channel and stops one's own tracks; the element stays `disconnected` until `reconnect()`. */
  leave(): void {
    this.#local.stopAll();
    this.#lease.leave();
  }

  /** Joins again; resolves when connected, rejects with the error. */
  reconnect(): Promise<void> {
    return this.#lease.reconnect();
  }

  /** A device error already went out as `ir-device-error`; anything else is reported as `ir-error`. */
  #reported(work: Promise<void>): Promise<void> {
    return work.catch((caught: unknown) => {
      const error = caught instanceof IrError ? caught : IrError.invalidState(String(caught));
      if (!this.#deviceErrors.has(error)) this.#emit(new IrErrorEvent({ error }));
      throw error;
    });
  }

  async #setSink(deviceId: string): Promise<void> {
    type Sinkable = HTMLMediaElement & { setSinkId?(id: string): Promise<void> };
    const audios = [...(this.shadowRoot?.querySelectorAll('audio') ?? [])] as Sinkable[];
    if (audios.some((audio) => typeof audio.setSinkId !== 'function')) {
      throw new IrError('UNSUPPORTED', 'this browser cannot choose the audio output', { retryable: false });
    }
    await Promise.all(audios.map((audio) => audio.setSinkId?.(deviceId)));
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

  // The methods already report failures as events; a click has no promise to hand them to.
  #toggleMicrophone = () => this.setMicrophoneEnabled(!this.microphoneEnabled).catch(() => undefined);
  #toggleCamera = () => this.setCameraEnabled(!this.cameraEnabled).catch(() => undefined);

  #onAudioBlocked = (event: Event) => {
    const audio = event.target as HTMLAudioElement;
    // Autoplay refused (no user gesture yet): the app offers a button that calls resumeAudio().
    audio.play().catch((error: unknown) => this.#emit(new IrAudioBlockedEvent({ error })));
  };

  #tile(p: Participant) {
    return html`<li part="tile" title=${p.name} aria-label=${p.name} data-peer-id=${p.peerID} data-muted=${p.muted}>
      ${p.video ? html`<video part="video" .srcObject=${streamOf(p.video)} autoplay playsinline muted></video>` : initialsOf(p.name)}
      ${p.screen ? html`<video part="screen" .srcObject=${streamOf(p.screen)} autoplay playsinline muted></video>` : null}
      ${p.audio ? html`<audio .srcObject=${streamOf(p.audio)} autoplay @loadedmetadata=${this.#onAudioBlocked}></audio>` : null}
    </li>`;
  }

  protected override render() {
    // Read here so the watcher re-renders (and re-syncs the lease) when the world's channel appears.
    this.resolvedChannelId;
    const state = this.state;
    const participants = [...this.participants.values()];
    const microphone = this.microphoneEnabled;
    const camera = this.cameraEnabled;
    return html`<ul part="tiles" aria-label="Participants">
        ${repeat(
          participants,
          (p) => p.peerID,
          (p) => this.#tile(p),
        )}
      </ul>
      <slot></slot>
      <div part="status-bar">
        <span part="state" data-state=${state} role="status">${state}</span>
        <span part="controls" role="group" aria-label="Media controls">
          <button part="control microphone" type="button" aria-pressed=${microphone} @click=${this.#toggleMicrophone}>
            Microphone
          </button>
          <button part="control camera" type="button" aria-pressed=${camera} @click=${this.#toggleCamera}>
            Camera
          </button>
        </span>
      </div>`;
  }
}
