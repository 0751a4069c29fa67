/**
 * Who is speaking, from the audio level of microphone tracks: one AudioContext and one sampling
 * timer for every watched track, so a 16-person call costs one audio graph, not sixteen. No Lit:
 * `<ir-media-channel>` renders what `onChange` reports.
 *
 * Written here rather than taken from npm: `hark` (the usual choice) is CommonJS, makes one
 * AudioContext and one timer per stream, and knows nothing of an active speaker; the VAD packages
 * run a neural model, far more than a speaking ring needs.
 */

import { IrError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';

const log = createLogger('speaking');

export interface SpeakingMonitorOptions {
  /** The set of speaking ids or the active speaker changed (not called on level changes alone). */
  onChange(speaking: ReadonlySet<string>, activeSpeaker: string | null): void;
  /** Smoothed level (0..1, see `level()`) at or above which a track counts as speaking. */
  threshold?: number;
  /** How long a track stays speaking after its level drops below the threshold (a pause between words). */
  holdMs?: number;
  /** How often every track is sampled. */
  intervalMs?: number;
}

const DEFAULTS = { threshold: 0.3, holdMs: 500, intervalMs: 100 };

/** Levels map decibels onto 0..1: FLOOR_DB (and below) is 0, full scale is 1. */
const FLOOR_DB = -60;
/** Time constants of the smoothing: a level rises fast (a word's onset) and falls slowly. */
const ATTACK_MS = 60;
const RELEASE_MS = 300;

interface Watched {
  track: MediaStreamTrack;
  source: MediaStreamAudioSourceNode;
  analyser: AnalyserNode;
  samples: Float32Array<ArrayBuffer>;
  level: number;
  speaking: boolean;
  /** When the level was last at or above the threshold. */
  loudAt: number;
  listening: AbortController;
}

type AudioContextConstructor = new () => AudioContext;

function audioContextClass(): AudioContextConstructor | undefined {
  const scope = globalThis as { AudioContext?: AudioContextConstructor; webkitAudioContext?: AudioContextConstructor };
  return scope.AudioContext ?? scope.webkitAudioContext;
}

/** The RMS of one window of samples, as a 0..1 level on the decibel scale. */
function levelOf(samples: Float32Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  const rms = Math.sqrt(sum / samples.length);
  if (rms <= 0) return 0;
  const db = 20 * Math.log10(rms);
  return Math.min(1, Math.max(0, 1 - db / FLOOR_DB));
}

export class SpeakingMonitor {
  readonly #onChange: SpeakingMonitorOptions['onChange'];
  readonly #threshold: number;
  readonly #holdMs: number;
  readonly #intervalMs: number;
  readonly #watched = new Map<string, Watched>();
  #context: AudioContext | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastSample = 0;
  #speaking: ReadonlySet<string> = new Set();
  #active: string | null = null;
  #warnedUnsupported = false;

  constructor(options: SpeakingMonitorOptions) {
    if (typeof options?.onChange !== 'function') throw IrError.invalidArgument('SpeakingMonitor needs an onChange');
    this.#onChange = options.onChange;
    this.#threshold = positive(options.threshold, DEFAULTS.threshold, 'threshold');
    this.#holdMs = positive(options.holdMs, DEFAULTS.holdMs, 'holdMs', true);
    this.#intervalMs = positive(options.intervalMs, DEFAULTS.intervalMs, 'intervalMs');
  }

  /** Ids whose track is speaking now. */
  get speaking(): ReadonlySet<string> {
    return this.#speaking;
  }

  /** The loudest speaking id; it stays active while it keeps speaking, so overlapping talk does not flicker. */
  get activeSpeaker(): string | null {
    return this.#active;
  }

  /**
   * Watches an audio track under `id`, replacing the id's previous track (a new microphone keeps
   * its speaking state). A track that ends is dropped. The caller keeps owning the track.
   */
  watch(id: string, track: MediaStreamTrack): void {
    if (typeof id !== 'string' || id === '') throw IrError.invalidArgument('watch() needs a non-empty id');
    if (!(track instanceof MediaStreamTrack) || track.kind !== 'audio') {
      throw IrError.invalidArgument(`watch(${JSON.stringify(id)}) needs an audio MediaStreamTrack`);
    }
    const previous = this.#watched.get(id);
    if (previous?.track === track) return;
    if (track.readyState === 'ended') {
      this.unwatch(id);
      return;
    }
    const context = this.#audioContext();
    if (!context) return;
    if (previous) this.#disconnect(previous);
    const source = context.createMediaStreamSource(new MediaStream([track]));
    const analyser = context.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    const listening = new AbortController();
    track.addEventListener('ended', () => this.unwatch(id), { signal: listening.signal });
    this.#watched.set(id, {
      track,
      source,
      analyser,
      samples: new Float32Array(analyser.fftSize),
      level: previous?.level ?? 0,
      speaking: previous?.speaking ?? false,
      loudAt: previous?.loudAt ?? 0,
      listening,
    });
    this.#startTimer();
  }

  /** Stops watching `id` (nothing happens for an id not watched). */
  unwatch(id: string): void {
    const watched = this.#watched.get(id);
    if (!watched) return;
    this.#disconnect(watched);
    this.#watched.delete(id);
    if (this.#watched.size === 0) this.#stopTimer();
    this.#publish();
  }

  /** The smoothed level of `id`'s track, 0 (silence, or not watched) to 1 (full scale). */
  level(id: string): number {
    return this.#watched.get(id)?.level ?? 0;
  }

  /**
   * Resumes an AudioContext the browser's autoplay policy suspended (levels read 0 until then);
   * call it from a user gesture. Creates the context if none exists yet, so later watches run.
   */
  async resume(): Promise<void> {
    const context = this.#audioContext();
    if (context && context.state === 'suspended') await context.resume();
  }

  /**
   * Stops watching everything and closes the AudioContext; safe to call twice. No `onChange`
   * follows. A later `watch()` starts afresh (the element leaves and joins again with one monitor).
   */
  close(): void {
    this.#stopTimer();
    for (const watched of this.#watched.values()) this.#disconnect(watched);
    this.#watched.clear();
    this.#speaking = new Set();
    this.#active = null;
    const context = this.#context;
    this.#context = null;
    if (context && context.state !== 'closed') void context.close().catch(() => undefined);
  }

  #audioContext(): AudioContext | null {
    if (this.#context) return this.#context;
    const AudioContextClass = audioContextClass();
    if (!AudioContextClass) {
      if (!this.#warnedUnsupported) log.warn('no Web Audio in this browser: nobody is ever shown as speaking');
      this.#warnedUnsupported = true;
      return null;
    }
    this.#context = new AudioContextClass();
    return this.#context;
  }

  #disconnect(watched: Watched): void {
    watched.listening.abort();
    watched.source.disconnect();
    watched.analyser.disconnect();
  }

  #startTimer(): void {
    if (this.#timer !== undefined) return;
    this.#lastSample = performance.now();
    this.#timer = setInterval(() => this.#sample(), this.#intervalMs);
  }

  #stopTimer(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #sample(): void {
    const now = performance.now();
    // Timers in background tabs run late: smooth by the time that passed, not by the tick count.
    const elapsed = Math.max(1, now - this.#lastSample);
    this.#lastSample = now;
    // A suspended context leaves the analysers holding their last window: that is not sound now.
    const running = this.#context?.state === 'running';
    for (const [id, watched] of this.#watched) {
      // stop() ends a track without an `ended` event: its owner stopped it, so drop it now.
      if (watched.track.readyState === 'ended') {
        this.#disconnect(watched);
        this.#watched.delete(id);
        continue;
      }
      let raw = 0;
      if (running) {
        watched.analyser.getFloatTimeDomainData(watched.samples);
        raw = levelOf(watched.samples);
      }
      const tau = raw > watched.level ? ATTACK_MS : RELEASE_MS;
      watched.level += (raw - watched.level) * (1 - Math.exp(-elapsed / tau));
      if (watched.level >= this.#threshold) {
        watched.speaking = true;
        watched.loudAt = now;
      } else if (watched.speaking && now - watched.loudAt >= this.#holdMs) {
        watched.speaking = false;
      }
    }
    if (this.#watched.size === 0) this.#stopTimer();
    this.#publish();
  }

  /** Recomputes the speaking set and the active speaker; tells `onChange` when either changed. */
  #publish(): void {
    const speaking = new Set<string>();
    let loudest: string | null = null;
    let loudestLevel = -1;
    for (const [id, watched] of this.#watched) {
      if (!watched.speaking) continue;
      speaking.add(id);
      if (watched.level > loudestLevel) {
        loudest = id;
        loudestLevel = watched.level;
      }
    }
    const active = this.#active !== null && speaking.has(this.#active) ? this.#active : loudest;
    if (active === this.#active && sameSet(speaking, this.#speaking)) return;
    this.#speaking = speaking;
    this.#active = active;
    try {
      this.#onChange(speaking, active);
    } catch (error) {
      // A listener's exception must not stop the sampling of everyone else; it still surfaces.
      reportError(error);
    }
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const item of a) if (!b.has(item)) return false;
  return true;
}

function positive(value: number | undefined, fallback: number, name: string, zeroAllowed = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) {
    throw IrError.invalidArgument(`SpeakingMonitor ${name} must be a positive number, not ${String(value)}`);
  }
  return value;
}
