/**
 * The body of `<ir-media-channel>`, loaded when the first one enters a document (media-channel.ts
 * stays small and joins at once, while this loads alongside): one's devices, the tiles and
 * controls, remote audio and the active speaker. The element forwards its public members here.
 */
import { adoptStyles, html, nothing } from 'lit';
import { live } from 'lit/directives/live.js';
import { repeat } from 'lit/directives/repeat.js';
import { IrError } from '../../core/errors.js';
import { signal } from '../../core/signals.js';
import type { MediaSource } from '../../protocol/index.js';
import type { Lease } from '../../registry/instance-registry.js';
import {
  IrActiveSpeakerChangeEvent,
  IrAudioBlockedEvent,
  IrDeviceErrorEvent,
  IrErrorEvent,
  IrTrackAddedEvent,
  IrTrackRemovedEvent,
} from '../events.js';
import type { LeaseController } from '../lease-controller.js';
import type { IrWorldInstance } from '../world-instance/world-instance.js';
import { ActiveSpeakers } from './active-speakers.js';
import { type ControlsView, controlsTemplate } from './controls.js';
import { canSelectSpeaker, DeviceList } from './device-list.js';
import { icons } from './icons.js';
import { LocalMedia } from './local-media.js';
import { type IrMediaChannel, trackSourceOf } from './media-channel.js';
import { mediaChannelStyles } from './media-channel.styles.js';
import { RemoteAudio } from './remote-audio.js';
import {
  type DeviceErrorKind,
  type DeviceSelectKind,
  langOf,
  type MediaChannelStrings,
  resolveStrings,
} from './strings.js';
import { type ScreenView, screenTileTemplate, streamOf, type TileView, TrackLiveness, tileTemplate } from './tile.js';

const deviceKindOf: Record<MediaSource, DeviceErrorKind> = {
  microphone: 'audioinput',
  camera: 'videoinput',
  screen: 'display',
  screenAudio: 'display',
};

/** Columns the grid wants for its tiles (a screen share counts as four); CSS caps them by width. */
function columnsFor(tiles: number, screens: number): number {
  return Math.max(1, Math.min(4, Math.ceil(Math.sqrt(tiles + 4 * screens))));
}

interface DeviceErrorNotice {
  kind: DeviceErrorKind;
  error: IrError;
}

/** What the element lends its body: itself, its lease, and its private helpers. */
export interface MediaChannelHost {
  readonly element: IrMediaChannel;
  readonly lease: LeaseController;
  world(): IrWorldInstance | null;
  emit(event: Event): void;
}

export class MediaChannelView {
  readonly #host: MediaChannelHost;
  readonly #element: IrMediaChannel;
  readonly #lease: LeaseController;
  readonly #local: LocalMedia;
  readonly #devices = new DeviceList();
  /** Errors already reported as `ir-device-error`, so they are not reported twice. */
  readonly #deviceErrors = new WeakSet<IrError>();
  /** Bumped when local tracks change, so the watcher re-renders the controls and `localStream` readers. */
  readonly #localVersion = signal(0);
  readonly #menuOpen = signal(false);
  readonly #notice = signal<DeviceErrorNotice | null>(null);
  readonly #speakers: ActiveSpeakers;
  readonly #audio: RemoteAudio;
  /** The microphones the last render showed (peerID → track, oneself included); heard after the update. */
  #toHear = new Map<string, MediaStreamTrack>();
  /** Toggles still in flight: a second click is ignored rather than racing the first. */
  readonly #busy = new Set<string>();
  #liveness = new TrackLiveness(new AbortController().signal);

  constructor(host: MediaChannelHost) {
    this.#host = host;
    this.#element = host.element;
    this.#lease = host.lease;
    this.#speakers = new ActiveSpeakers((peerID) => host.emit(new IrActiveSpeakerChangeEvent({ peerID })));
    this.#audio = new RemoteAudio({
      audios: () => [...(this.#element.shadowRoot?.querySelectorAll('audio') ?? [])],
      devices: this.#devices,
      onBlocked: (error) => host.emit(new IrAudioBlockedEvent({ error })),
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
        host.emit(new IrDeviceErrorEvent({ kind, error }));
      },
      error: (error) => host.emit(new IrErrorEvent({ error })),
    });
    const root = this.#element.renderRoot;
    if (root instanceof ShadowRoot) adoptStyles(root, mediaChannelStyles);
  }

  /** The element is in the document until `signal` aborts. */
  connected(signal: AbortSignal): void {
    this.#liveness = new TrackLiveness(signal);
    this.#devices.listen(signal);
    // A `lang` set later on the element or an ancestor re-labels the UI.
    const root = this.#element.getRootNode();
    const observer = new MutationObserver(() => this.#element.requestUpdate());
    observer.observe(root instanceof Document ? root.documentElement : root, {
      subtree: true,
      attributes: true,
      attributeFilter: ['lang'],
    });
    signal.addEventListener('abort', () => observer.disconnect(), { once: true });
  }

  /** A lease was taken: publish what is captured, and capture what the attributes ask for. */
  attach(lease: Lease): void {
    this.#local.attach(lease);
    const { audio, video } = this.#element;
    if (audio || video) {
      // Partial success (one device denied) resolves; the failure is already an ir-device-error.
      this.#local.enable({ microphone: audio, camera: video }).catch(() => undefined);
    }
  }

  /** Left or removed: every track it started stops. */
  stop(): void {
    this.#local.stopAll();
    this.#speakers.stop();
  }

  get speaking(): ReadonlySet<string> {
    return this.#speakers.speaking;
  }

  get localStream(): MediaStream | null {
    this.#localVersion.get();
    return this.#local.stream;
  }

  isOn(source: 'microphone' | 'camera'): boolean {
    this.#localVersion.get();
    return this.#local.isOn(source);
  }

  get screenSharing(): boolean {
    this.#localVersion.get();
    return this.#local.track('screen') !== undefined;
  }

  get audioBlocked(): boolean {
    return this.#audio.blocked;
  }

  setEnabled(source: 'microphone' | 'camera', on: boolean): Promise<void> {
    return this.#reported(on ? this.#local.enable({ [source]: true }) : this.#local.disable(source));
  }

  startScreenShare(): Promise<void> {
    return this.#reported(this.#local.startScreenShare());
  }

  stopScreenShare(): Promise<void> {
    return this.#reported(this.#local.stop('screen'));
  }

  selectDevice(kind: DeviceSelectKind, deviceId: string): Promise<void> {
    if (kind === 'audiooutput') return this.#reported(this.#audio.setSink(deviceId));
    if (kind !== 'audioinput' && kind !== 'videoinput') {
      return this.#reported(Promise.reject(IrError.invalidArgument(`unknown device kind ${String(kind)}`)));
    }
    return this.#reported(this.#local.selectDevice(kind === 'audioinput' ? 'microphone' : 'camera', deviceId));
  }

  resumeAudio(): Promise<void> {
    return this.#reported(this.#audio.resume(this.#speakers.resume().catch(() => undefined)));
  }

  /** A device error already went out as `ir-device-error`; anything else is reported as `ir-error`. */
  #reported(work: Promise<unknown>): Promise<void> {
    return work.then(
      () => undefined,
      (caught: unknown) => {
        const error = caught instanceof IrError ? caught : IrError.invalidState(String(caught));
        if (!this.#deviceErrors.has(error)) this.#host.emit(new IrErrorEvent({ error }));
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
    this.#host.emit(new type({ peerID, source: trackSourceOf[source], track, local }));
  }

  /** After each update: play the audio the render added, and listen to the microphones it shows. */
  updated(): void {
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

  #toggleMicrophone = () => this.#once('microphone', () => this.setEnabled('microphone', !this.isOn('microphone')));
  #toggleCamera = () => this.#once('camera', () => this.setEnabled('camera', !this.isOn('camera')));
  #toggleScreen = () =>
    this.#once('screen', () => (this.screenSharing ? this.stopScreenShare() : this.startScreenShare()));
  #resumeAudio = () => this.#once('audio', () => this.resumeAudio());
  #dismiss = () => this.#notice.set(null);

  #joinOrLeave = () => {
    if (this.#joined()) this.#element.leave();
    else this.#once('join', () => this.#element.reconnect());
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
    await this.#element.updateComplete;
    this.#element.renderRoot.querySelector<HTMLButtonElement>('button[part~="devices"]')?.focus();
  };

  #select = (kind: DeviceSelectKind, deviceId: string) => {
    // On failure the select shows the device still in use again (the notice says why).
    this.#once(`select-${kind}`, () => this.selectDevice(kind, deviceId).finally(() => this.#element.requestUpdate()));
  };

  #joined(): boolean {
    const state = this.#element.state;
    return state !== 'idle' && state !== 'disconnected' && state !== 'failed';
  }

  #strings(): MediaChannelStrings {
    return resolveStrings(langOf(this.#element), this.#element.strings);
  }

  #tiles(strings: MediaChannelStrings): { tiles: TileView[]; screens: ScreenView[] } {
    const live = this.#liveness;
    const speaking = this.#speakers.speaking;
    const selfID = this.#lease.selfPeerID;
    const world = this.#host.world();
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
      microphone: this.isOn('microphone'),
      camera: this.isOn('camera'),
      screen: this.screenSharing,
      canCapture: typeof media?.getUserMedia === 'function',
      canShareScreen: typeof media?.getDisplayMedia === 'function',
      joined: this.#joined(),
      canJoinOrLeave: this.#joined() || this.#element.resolvedChannelId !== null,
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

  render() {
    // Read here so the watcher re-renders (and re-syncs the lease) when the world's channel appears.
    this.#element.resolvedChannelId;
    const strings = this.#strings();
    const state = this.#element.state;
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
