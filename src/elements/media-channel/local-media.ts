/**
 * The local tracks of one `<ir-media-channel>`: acquires microphone, camera and screen, publishes
 * them on the channel's lease (again on a new lease), pauses them for mute, and stops every track
 * it started when the channel is left or removed. No Lit: the element renders what this reports.
 */
import { IrError } from '../../core/errors.js';
import type { MediaSource } from '../../protocol/index.js';
import type { Lease } from '../../registry/instance-registry.js';

export type DeviceKind = 'audioinput' | 'videoinput' | 'display';

/** The sources captured from a device one can choose. */
export type DeviceSource = 'microphone' | 'camera';

/** Which of the microphone and camera are on (captured and not muted). */
export interface EnabledSources {
  microphone: boolean;
  camera: boolean;
}

export interface LocalMediaCallbacks {
  /** The set of local tracks, their paused state or the chosen devices changed. */
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
  /** Removes the track's `ended` listener. */
  listening: AbortController;
}

const DEVICE_SOURCES = ['microphone', 'camera'] as const;
const KIND_OF: Record<DeviceSource, 'audioinput' | 'videoinput'> = { microphone: 'audioinput', camera: 'videoinput' };

function isDeviceSource(source: MediaSource): source is DeviceSource {
  return source === 'microphone' || source === 'camera';
}

/** The name of a DOMException, or of Chromium's OverconstrainedError (not a DOMException there). */
function errorName(error: unknown): string {
  return typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
}

function isMissingDevice(error: unknown): boolean {
  return errorName(error) === 'NotFoundError' || errorName(error) === 'OverconstrainedError';
}

function deviceError(kind: DeviceKind, error: unknown): IrError {
  const name = errorName(error);
  const message = `${kind === 'display' ? 'screen capture' : kind}: ${error instanceof Error ? error.message : String(error)}`;
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return new IrError('FORBIDDEN', message, { cause: error });
  if (isMissingDevice(error)) {
    return new IrError('NOT_FOUND', message, { cause: error, retryable: false });
  }
  return new IrError('UNSUPPORTED', message, { cause: error, retryable: false });
}

function toIrError(error: unknown): IrError {
  if (error instanceof IrError) return error;
  return new IrError('TRANSPORT_FAILED', error instanceof Error ? error.message : String(error), { cause: error });
}

function captureOf(source: DeviceSource, track: MediaTrackConstraints | boolean): MediaStreamConstraints {
  return source === 'microphone' ? { audio: track } : { video: track };
}

export class LocalMedia {
  readonly #callbacks: LocalMediaCallbacks;
  readonly #tracks = new Map<MediaSource, LocalTrack>();
  /**
   * Bumped per source by `stop()` and for all by `stopAll()`, so a capture that resolves
   * afterwards is stopped instead of published.
   */
  readonly #generations: Record<MediaSource, number> = { microphone: 0, camera: 0, screen: 0, screenAudio: 0 };
  /** Bumped by each `selectDevice()`, so of two quick switches the later one wins. */
  readonly #selections: Record<DeviceSource, number> = { microphone: 0, camera: 0 };
  /** Whether the latest call wanted a source on (`enable`) or muted (`disable`), for captures still pending. */
  readonly #wanted = new Map<DeviceSource, boolean>();
  /** Devices chosen while their source was off: the next capture uses them. */
  readonly #preferred = new Map<DeviceSource, string>();
  /** Captures under way, by source: a second `enable()` waits for them instead of prompting again. */
  readonly #capturing = new Map<DeviceSource, Promise<IrError | undefined>>();
  /**
   * The lease calls per lease and source, one after the other: `publish(paused)` followed by a
   * quick `setPaused(false)` must reach the link in that order, or the unmute is overtaken.
   */
  readonly #queues = new WeakMap<Lease, Map<MediaSource, Promise<void>>>();
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

  /** The device of the source's track, or the one chosen for its next capture. */
  deviceId(source: DeviceSource): string | undefined {
    return this.#tracks.get(source)?.track.getSettings().deviceId || this.#preferred.get(source);
  }

  /**
   * Publishes every local track on a new lease (the connection republishes after reconnects
   * itself). Tracks captured while there was no lease go out now.
   */
  attach(lease: Lease): void {
    this.#lease = lease;
    for (const [source, { track }] of this.#tracks) this.#publish(lease, source, track);
  }

  /**
   * Turns the microphone and/or camera on, in one capture (one permission prompt). When both are
   * asked and the capture fails, each is tried alone, so a denied or missing camera still leaves
   * the microphone (and the other way round). Every failed kind is reported as `deviceError`;
   * rejects (with the first of those errors) only when everything asked for failed.
   */
  async enable(sources: { microphone?: boolean; camera?: boolean }): Promise<EnabledSources> {
    const wanted = DEVICE_SOURCES.filter((source) => sources[source]);
    for (const source of wanted) this.#wanted.set(source, true);
    const resuming = wanted
      .filter((source) => this.#tracks.has(source))
      .map((source) => this.#setPaused(source, false));
    const missing = wanted.filter((source) => !this.#tracks.has(source) && !this.#capturing.has(source));
    if (missing.length > 0) {
      const capture = this.#capture(missing);
      for (const source of missing) {
        const outcome = capture.then((failures) => failures.get(source));
        this.#capturing.set(source, outcome);
        const done = () => {
          if (this.#capturing.get(source) === outcome) this.#capturing.delete(source);
        };
        outcome.then(done, done);
      }
    }
    const outcomes = await Promise.all(wanted.map((source) => this.#capturing.get(source)));
    await Promise.all(resuming);
    const failures = outcomes.filter((error) => error !== undefined);
    if (failures[0] && failures.length === wanted.length) throw failures[0];
    return { microphone: this.isOn('microphone'), camera: this.isOn('camera') };
  }

  /** Pauses (mutes) a source others see; a track stays captured so unmuting is instant. */
  async disable(source: MediaSource): Promise<void> {
    // A capture still pending lands muted.
    if (isDeviceSource(source)) this.#wanted.set(source, false);
    if (this.#tracks.has(source)) await this.#setPaused(source, true);
  }

  async startScreenShare(): Promise<void> {
    if (this.#tracks.has('screen')) return;
    const generation = this.#generations.screen;
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
    if (generation !== this.#generations.screen || this.#tracks.has('screen')) {
      track.stop();
      return;
    }
    this.#add('screen', track);
  }

  /** Stops a source: unpublishes it and stops its track (a capture of it still pending is dropped). */
  async stop(source: MediaSource): Promise<void> {
    this.#generations[source]++;
    if (isDeviceSource(source)) {
      this.#wanted.delete(source);
      // That capture will be dropped: a later enable() captures afresh rather than wait for it.
      this.#capturing.delete(source);
    }
    const local = this.#tracks.get(source);
    if (!local) return;
    this.#remove(source, local);
    const lease = this.#lease;
    if (lease) await this.#leaseCall(lease, source, () => lease.unpublish(source));
  }

  /**
   * Swaps the device of a source for another, keeping its muted state. The id must be one that
   * `enumerateDevices()` lists for that kind (NOT_FOUND otherwise, also reported as
   * `deviceError`). With no track of that source (it is off), the choice is kept for its next
   * capture; with no lease, the new track is published on `attach()`.
   */
  async selectDevice(source: DeviceSource, deviceId: string): Promise<void> {
    if (!DEVICE_SOURCES.includes(source)) {
      throw IrError.invalidArgument(`selectDevice() takes "microphone" or "camera", not ${JSON.stringify(source)}`);
    }
    if (typeof deviceId !== 'string' || deviceId.trim() === '') {
      throw IrError.invalidArgument(`selectDevice(${source}) needs a device id, not ${JSON.stringify(deviceId)}`);
    }
    const kind = KIND_OF[source];
    const selection = ++this.#selections[source];
    await this.#checkListed(kind, deviceId);
    if (selection !== this.#selections[source]) return;
    const current = this.#tracks.get(source);
    if (!current || current.track.getSettings().deviceId === deviceId) {
      this.#preferred.set(source, deviceId);
      this.#callbacks.changed();
      return;
    }
    const generation = this.#generations[source];
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(captureOf(source, { deviceId: { exact: deviceId } }));
    } catch (caught) {
      const error = deviceError(kind, caught);
      this.#callbacks.deviceError(kind, error);
      throw error;
    }
    const [track, ...others] = stream.getTracks();
    for (const other of others) other.stop();
    if (!track) throw new IrError('UNSUPPORTED', `${kind}: the capture gave no track`, { retryable: false });
    // Stopped, left, or switched again meanwhile: this capture is not needed.
    const previous = this.#tracks.get(source);
    if (generation !== this.#generations[source] || selection !== this.#selections[source] || !previous) {
      track.stop();
      return;
    }
    this.#preferred.set(source, deviceId);
    this.#remove(source, previous);
    this.#add(source, track, previous.paused);
  }

  /** Stops every track this channel started; the lease (if still held) stops publishing them. */
  stopAll(): void {
    for (const source of Object.keys(this.#generations) as MediaSource[]) this.#generations[source]++;
    this.#wanted.clear();
    this.#capturing.clear();
    const lease = this.#lease;
    this.#lease = null;
    for (const [source, local] of [...this.#tracks]) {
      this.#remove(source, local);
      // Now, not queued: the lease is released right after this.
      if (lease && !lease.released) void lease.unpublish(source).catch(() => undefined);
    }
  }

  /** Captures `missing` together, else one by one; adds what it got and returns what failed. */
  async #capture(missing: DeviceSource[]): Promise<Map<DeviceSource, IrError>> {
    const generations = new Map(missing.map((source) => [source, this.#generations[source]]));
    const failures = new Map<DeviceSource, IrError>();
    const streams: MediaStream[] = [];
    try {
      streams.push(await this.#getUserMedia(missing));
    } catch (caught) {
      if (missing.length === 1) {
        failures.set(missing[0] as DeviceSource, caught as IrError);
      } else {
        for (const source of missing) {
          try {
            streams.push(await this.#getUserMedia([source]));
          } catch (alone) {
            failures.set(source, alone as IrError);
          }
        }
      }
    }
    for (const [source, error] of failures) this.#callbacks.deviceError(KIND_OF[source], error);
    for (const track of streams.flatMap((stream) => stream.getTracks())) {
      const source: DeviceSource = track.kind === 'audio' ? 'microphone' : 'camera';
      // Stopped or left meanwhile, or another call got there first: this capture is not needed.
      if (generations.get(source) !== this.#generations[source] || this.#tracks.has(source)) track.stop();
      else this.#add(source, track, this.#wanted.get(source) === false);
    }
    return failures;
  }

  /**
   * getUserMedia for `sources`, on their chosen devices where there are (a chosen device that went
   * away gives way to any of its kind); rejects with the IrError.
   */
  async #getUserMedia(sources: DeviceSource[]): Promise<MediaStream> {
    const kind = sources.length === 1 && sources[0] === 'camera' ? 'videoinput' : 'audioinput';
    const constraints = (chosen: boolean): MediaStreamConstraints => {
      const all: MediaStreamConstraints = {};
      for (const source of sources) {
        const preferred = chosen ? this.#preferred.get(source) : undefined;
        // `exact`, not `ideal`: Chromium ignores an ideal microphone and opens the default one.
        Object.assign(all, captureOf(source, preferred ? { deviceId: { exact: preferred } } : true));
      }
      return all;
    };
    try {
      return await navigator.mediaDevices.getUserMedia(constraints(true));
    } catch (caught) {
      if (!sources.some((source) => this.#preferred.has(source)) || !isMissingDevice(caught)) {
        throw deviceError(kind, caught);
      }
    }
    try {
      return await navigator.mediaDevices.getUserMedia(constraints(false));
    } catch (caught) {
      throw deviceError(kind, caught);
    }
  }

  /**
   * Rejects with NOT_FOUND (reported as `deviceError`) when `enumerateDevices()` does not list
   * `deviceId` for `kind`. Before any permission the browser hides device ids (all `""`): then
   * nothing can be checked, and the capture itself says whether the device exists.
   */
  async #checkListed(kind: 'audioinput' | 'videoinput', deviceId: string): Promise<void> {
    let devices: MediaDeviceInfo[];
    try {
      devices = (await navigator.mediaDevices.enumerateDevices()).filter((device) => device.kind === kind);
    } catch (caught) {
      const error = deviceError(kind, caught);
      this.#callbacks.deviceError(kind, error);
      throw error;
    }
    if (devices.every((device) => device.deviceId === '')) return;
    if (devices.some((device) => device.deviceId === deviceId)) return;
    const error = new IrError('NOT_FOUND', `${kind}: no device with id ${JSON.stringify(deviceId)}`, {
      retryable: false,
    });
    this.#callbacks.deviceError(kind, error);
    throw error;
  }

  #add(source: MediaSource, track: MediaStreamTrack, paused = false): void {
    track.enabled = !paused;
    const listening = new AbortController();
    // Our own stop() fires no `ended`: this is the device going away, or the browser's "stop sharing".
    track.addEventListener('ended', () => this.#ended(source, track), { signal: listening.signal });
    this.#tracks.set(source, { track, paused, listening });
    this.#restream();
    // Queued before the callbacks: a listener that mutes at once queues its pause after the publish.
    if (this.#lease) this.#publish(this.#lease, source, track);
    this.#callbacks.trackAdded(source, track);
    this.#callbacks.changed();
  }

  #remove(source: MediaSource, local: LocalTrack): void {
    local.listening.abort();
    local.track.stop();
    this.#tracks.delete(source);
    this.#restream();
    this.#callbacks.trackRemoved(source, local.track);
    this.#callbacks.changed();
  }

  #ended(source: MediaSource, track: MediaStreamTrack): void {
    if (this.#tracks.get(source)?.track !== track) return;
    void this.stop(source);
    if (!isDeviceSource(source)) return;
    const kind = KIND_OF[source];
    this.#callbacks.deviceError(kind, new IrError('NOT_FOUND', `${kind}: the device stopped (unplugged or taken)`));
  }

  async #setPaused(source: MediaSource, paused: boolean): Promise<void> {
    const local = this.#tracks.get(source);
    if (!local || local.paused === paused) return;
    local.paused = paused;
    local.track.enabled = !paused;
    this.#callbacks.changed();
    const lease = this.#lease;
    if (lease) await this.#leaseCall(lease, source, () => lease.setPaused(source, paused));
  }

  /** Publishes `track` with the paused state it has when its turn comes, unless it was replaced or stopped by then. */
  #publish(lease: Lease, source: MediaSource, track: MediaStreamTrack): void {
    void this.#leaseCall(lease, source, async () => {
      const local = this.#tracks.get(source);
      if (local?.track === track) await lease.publish(source, track, local.paused);
    });
  }

  /**
   * Runs `call` after the lease's earlier calls for `source`; skipped once the lease is released
   * (a new lease gets everything on `attach()`). Failures go to `error`, never to the caller.
   */
  #leaseCall(lease: Lease, source: MediaSource, call: () => Promise<void>): Promise<void> {
    let queues = this.#queues.get(lease);
    if (!queues) {
      queues = new Map();
      this.#queues.set(lease, queues);
    }
    const run = async () => {
      if (!lease.released) await call();
    };
    const next = (queues.get(source) ?? Promise.resolve())
      .then(run)
      .catch((error: unknown) => this.#callbacks.error(toIrError(error)));
    queues.set(source, next);
    return next;
  }

  #restream(): void {
    const tracks = [...this.#tracks.values()].map((local) => local.track);
    this.#stream = tracks.length > 0 ? new MediaStream(tracks) : null;
  }
}
