/**
 * The local tracks of one `<ir-media-channel>`: acquires microphone, camera and screen, publishes
 * them on the channel's lease (again on a new lease), pauses them for mute, and stops every track
 * it started when the channel is left or removed. No Lit: the element renders what this reports.
 */
import { IrError } from '../../core/errors.js';
import type { MediaSource } from '../../protocol/index.js';
import type { Lease } from '../../registry/instance-registry.js';

export type DeviceKind = 'audioinput' | 'videoinput' | 'display';

export interface LocalMediaCallbacks {
  /** The set of local tracks or their paused state changed. */
  changed(): void;
  trackAdded(source: MediaSource, track: MediaStreamTrack): void;
  trackRemoved(source: MediaSource, track: MediaStreamTrack): void;
  deviceError(kind: DeviceKind, error: IrError): void;
  /** Publishing failed (the link refused the track). */
  error(error: IrError): void;
}

interface LocalTrack {
  track: MediaStreamTrack;
  paused: boolean;
}

function deviceError(kind: DeviceKind, error: unknown): IrError {
  const name = error instanceof DOMException ? error.name : '';
  const message = `${kind === 'display' ? 'screen capture' : kind}: ${error instanceof Error ? error.message : String(error)}`;
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return new IrError('FORBIDDEN', message, { cause: error });
  if (name === 'NotFoundError' || name === 'OverconstrainedError') {
    return new IrError('NOT_FOUND', message, { cause: error, retryable: false });
  }
  return new IrError('UNSUPPORTED', message, { cause: error, retryable: false });
}

function toIrError(error: unknown): IrError {
  if (error instanceof IrError) return error;
  return new IrError('TRANSPORT_FAILED', error instanceof Error ? error.message : String(error), { cause: error });
}

export class LocalMedia {
  readonly #callbacks: LocalMediaCallbacks;
  readonly #tracks = new Map<MediaSource, LocalTrack>();
  /** Bumped by `stopAll()`, so a capture that resolves afterwards is stopped instead of published. */
  #generation = 0;
  #lease: Lease | null = null;
  #stream: MediaStream | null = null;

  constructor(callbacks: LocalMediaCallbacks) {
    this.#callbacks = callbacks;
  }

  /** One's own tracks, or `null` before any. */
  get stream(): MediaStream | null {
    return this.#stream;
  }

  track(source: MediaSource): MediaStreamTrack | undefined {
    return this.#tracks.get(source)?.track;
  }

  /** Whether `source` has a live, unpaused track. */
  isOn(source: MediaSource): boolean {
    const local = this.#tracks.get(source);
    return local !== undefined && !local.paused;
  }

  /** Publishes every local track on a new lease (the connection republishes after reconnects itself). */
  attach(lease: Lease): void {
    this.#lease = lease;
    for (const [source, { track, paused }] of this.#tracks) this.#publish(lease, source, track, paused);
  }

  /** Turns the microphone and/or camera on, in one capture (one permission prompt). */
  async enable(sources: { microphone?: boolean; camera?: boolean }): Promise<void> {
    const wanted = (['microphone', 'camera'] as const).filter((source) => sources[source]);
    const missing = wanted.filter((source) => !this.#tracks.has(source));
    for (const source of wanted) if (this.#tracks.has(source)) await this.#setPaused(source, false);
    if (missing.length === 0) return;
    const generation = this.#generation;
    const audio = missing.includes('microphone');
    const video = missing.includes('camera');
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio, video });
    } catch (caught) {
      const error = deviceError(audio ? 'audioinput' : 'videoinput', caught);
      this.#callbacks.deviceError(audio ? 'audioinput' : 'videoinput', error);
      throw error;
    }
    for (const track of stream.getTracks()) {
      const source: MediaSource = track.kind === 'audio' ? 'microphone' : 'camera';
      // Left meanwhile, or another call got there first: this capture is not needed.
      if (generation !== this.#generation || this.#tracks.has(source)) track.stop();
      else this.#add(source, track);
    }
  }

  /** Pauses (mutes) a source others see; a track stays captured so unmuting is instant. */
  async disable(source: MediaSource): Promise<void> {
    if (this.#tracks.has(source)) await this.#setPaused(source, true);
  }

  async startScreenShare(): Promise<void> {
    if (this.#tracks.has('screen')) return;
    const generation = this.#generation;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (caught) {
      const error = deviceError('display', caught);
      this.#callbacks.deviceError('display', error);
      throw error;
    }
    const [track] = stream.getVideoTracks();
    for (const other of stream.getTracks()) if (other !== track) other.stop();
    if (!track) throw new IrError('UNSUPPORTED', 'screen capture gave no video track', { retryable: false });
    if (generation !== this.#generation || this.#tracks.has('screen')) {
      track.stop();
      return;
    }
    // The browser's own "stop sharing" button ends the track.
    track.addEventListener('ended', () => void this.stop('screen'), { once: true });
    this.#add('screen', track);
  }

  /** Stops a source: unpublishes it and stops its track. */
  async stop(source: MediaSource): Promise<void> {
    const local = this.#tracks.get(source);
    if (!local) return;
    this.#remove(source, local.track);
    await this.#lease?.unpublish(source).catch((error: unknown) => this.#callbacks.error(toIrError(error)));
  }

  /** Swaps the device of a source for another (same paused state). */
  async selectDevice(source: 'microphone' | 'camera', deviceId: string): Promise<void> {
    const kind: DeviceKind = source === 'microphone' ? 'audioinput' : 'videoinput';
    const constraints = { deviceId: { exact: deviceId } };
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(
        source === 'microphone' ? { audio: constraints } : { video: constraints },
      );
    } catch (caught) {
      const error = deviceError(kind, caught);
      this.#callbacks.deviceError(kind, error);
      throw error;
    }
    const [track] = stream.getTracks();
    if (!track) return;
    const previous = this.#tracks.get(source);
    if (previous) this.#remove(source, previous.track);
    this.#add(source, track, previous?.paused ?? false);
  }

  /** Stops every track this channel started; the lease (if still held) stops publishing them. */
  stopAll(): void {
    this.#generation++;
    const lease = this.#lease;
    this.#lease = null;
    for (const [source, { track }] of [...this.#tracks]) {
      this.#remove(source, track);
      if (lease && !lease.released) void lease.unpublish(source).catch(() => undefined);
    }
  }

  #add(source: MediaSource, track: MediaStreamTrack, paused = false): void {
    track.enabled = !paused;
    this.#tracks.set(source, { track, paused });
    this.#restream();
    this.#callbacks.trackAdded(source, track);
    this.#callbacks.changed();
    if (this.#lease) this.#publish(this.#lease, source, track, paused);
  }

  #remove(source: MediaSource, track: MediaStreamTrack): void {
    track.stop();
    this.#tracks.delete(source);
    this.#restream();
    this.#callbacks.trackRemoved(source, track);
    this.#callbacks.changed();
  }

  async #setPaused(source: MediaSource, paused: boolean): Promise<void> {
    const local = this.#tracks.get(source);
    if (!local || local.paused === paused) return;
    local.paused = paused;
    local.track.enabled = !paused;
    this.#callbacks.changed();
    if (this.#lease && !this.#lease.released) {
      await this.#lease.setPaused(source, paused).catch((error: unknown) => this.#callbacks.error(toIrError(error)));
    }
  }

  #publish(lease: Lease, source: MediaSource, track: MediaStreamTrack, paused: boolean): void {
    lease.publish(source, track, paused).catch((error: unknown) => this.#callbacks.error(toIrError(error)));
  }

  #restream(): void {
    const tracks = [...this.#tracks.values()].map((local) => local.track);
    this.#stream = tracks.length > 0 ? new MediaStream(tracks) : null;
  }
}
