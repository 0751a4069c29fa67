/**
 * Who speaks in a media channel: keeps a `SpeakingMonitor` watching exactly the microphones on
 * screen (oneself included) and reports the active speaker when it changes. No Lit.
 */
import { signal } from '../../core/signals.js';
import { SpeakingMonitor } from './speaking-monitor.js';

const NOBODY: ReadonlySet<string> = new Set();

export class ActiveSpeakers {
  readonly #onActiveChange: (peerID: string | null) => void;
  readonly #speaking = signal<ReadonlySet<string>>(NOBODY);
  #active: string | null = null;
  #monitor: SpeakingMonitor | null = null;
  /** The microphone tracks watched, by peerID. */
  readonly #heard = new Map<string, MediaStreamTrack>();

  constructor(onActiveChange: (peerID: string | null) => void) {
    this.#onActiveChange = onActiveChange;
  }

  /** The peerIDs speaking now; reading it makes a signal watcher re-render on changes. */
  get speaking(): ReadonlySet<string> {
    return this.#speaking.get();
  }

  /** Watches `tracks` (peerID → microphone) and forgets the microphones that went. */
  sync(tracks: ReadonlyMap<string, MediaStreamTrack>): void {
    for (const [id, track] of this.#heard) {
      if (tracks.get(id) === track) continue;
      this.#monitor?.unwatch(id);
      this.#heard.delete(id);
    }
    for (const [id, track] of tracks) {
      if (this.#heard.get(id) === track) continue;
      this.#monitor ??= new SpeakingMonitor({ onChange: this.#changed });
      this.#monitor.watch(id, track);
      this.#heard.set(id, track);
    }
  }

  /** Resumes the monitor's AudioContext where the autoplay policy suspended it (call in a gesture). */
  resume(): Promise<void> {
    return this.#monitor?.resume() ?? Promise.resolve();
  }

  /** Stops listening; nobody speaks any more. */
  stop(): void {
    this.#monitor?.close();
    this.#monitor = null;
    this.#heard.clear();
    this.#changed(NOBODY, null);
  }

  #changed = (speaking: ReadonlySet<string>, active: string | null) => {
    this.#speaking.set(speaking);
    if (active === this.#active) return;
    this.#active = active;
    this.#onActiveChange(active);
  };
}
