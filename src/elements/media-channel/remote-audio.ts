/**
 * The `<audio>` elements of remote microphones: asks each new stream to play once, notices when the
 * browser's autoplay policy refuses, plays everything again on a user gesture, and routes the audio
 * to the chosen speaker. No Lit: the element renders the signals.
 */
import { IrError } from '../../core/errors.js';
import { signal } from '../../core/signals.js';
import type { DeviceList } from './device-list.js';
import { canSelectSpeaker } from './device-list.js';

type Sinkable = HTMLMediaElement & { setSinkId?(id: string): Promise<void>; sinkId?: string };

export interface RemoteAudioOptions {
  /** The audio elements rendered now. */
  audios(): readonly Sinkable[];
  devices: DeviceList;
  /** Playback was refused for the first time since the last successful `resume()`. */
  onBlocked(error: DOMException): void;
}

export class RemoteAudio {
  readonly #options: RemoteAudioOptions;
  readonly #blocked = signal(false);
  readonly #sinkId = signal('');
  /** The stream each element was last asked to play, so each is asked once. */
  readonly #played = new WeakMap<HTMLMediaElement, MediaProvider | null>();

  constructor(options: RemoteAudioOptions) {
    this.#options = options;
  }

  /** Whether the browser blocks playback until `resume()` runs in a user gesture. */
  get blocked(): boolean {
    return this.#blocked.get();
  }

  /** The chosen speaker (`""`: the browser's default). */
  get sinkId(): string {
    return this.#sinkId.get();
  }

  /** After each render: plays new streams and routes every element to the chosen speaker. */
  sync(): void {
    const sinkId = this.#sinkId.get();
    for (const audio of this.#options.audios()) {
      if (sinkId && audio.sinkId !== sinkId) void audio.setSinkId?.(sinkId).catch(() => undefined);
      if (this.#played.get(audio) === audio.srcObject) continue;
      this.#played.set(audio, audio.srcObject);
      audio.play().catch((error: unknown) => {
        // AbortError: the stream was replaced meanwhile; the next sync plays the new one.
        if (!(error instanceof DOMException) || error.name !== 'NotAllowedError') return;
        if (this.#blocked.get()) return;
        this.#blocked.set(true);
        this.#options.onBlocked(error);
      });
    }
  }

  /**
   * Plays every element (call it in a user gesture) and waits for `alongside` (the speaking
   * monitor's AudioContext); rejects with FORBIDDEN while the browser still refuses.
   */
  async resume(alongside?: Promise<unknown>): Promise<void> {
    // play() before anything else, while the gesture's activation is certainly fresh.
    const plays = this.#options.audios().map((audio) => audio.play());
    const results = await Promise.allSettled([...plays, alongside]);
    const refused = results.find((result) => result.status === 'rejected');
    if (refused) throw new IrError('FORBIDDEN', 'the browser still blocks audio playback', { cause: refused.reason });
    this.#blocked.set(false);
  }

  /** Routes every element, now and later, to `deviceId` (an `audiooutput` the browser lists, or `""`). */
  async setSink(deviceId: string): Promise<void> {
    if (!canSelectSpeaker()) {
      throw new IrError('UNSUPPORTED', 'this browser cannot choose the audio output', { retryable: false });
    }
    if (typeof deviceId !== 'string') throw IrError.invalidArgument('the audio output id must be a string');
    if (deviceId !== '') {
      const devices = this.#options.devices;
      await devices.refresh();
      const known = devices.devices.get().some((d) => d.kind === 'audiooutput' && d.deviceId === deviceId);
      if (!known) throw new IrError('NOT_FOUND', `no audio output ${JSON.stringify(deviceId)}`, { retryable: false });
    }
    await Promise.all(this.#options.audios().map((audio) => audio.setSinkId?.(deviceId)));
    this.#sinkId.set(deviceId);
  }
}
