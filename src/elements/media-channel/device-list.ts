/**
 * The microphones, cameras and speakers the browser offers, kept fresh while someone listens
 * (`devicechange`), for the device menu of `<ir-media-channel>`. No Lit: the element renders the signal.
 */
import { type ReadonlySignal, signal } from '../../core/signals.js';
import type { DeviceSelectKind } from './strings.js';

export interface DeviceOption {
  deviceId: string;
  label: string;
}

/** Whether the page can pick the audio output of media elements (`setSinkId`). */
export function canSelectSpeaker(): boolean {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

export class DeviceList {
  readonly #devices = signal<readonly MediaDeviceInfo[]>([]);
  /** Bumped per refresh, so a slow answer never overwrites a newer one. */
  #generation = 0;

  /** The devices of the last refresh. */
  get devices(): ReadonlySignal<readonly MediaDeviceInfo[]> {
    return this.#devices;
  }

  /** Refreshes now and on every `devicechange` until `signal` aborts. */
  listen(signal: AbortSignal): void {
    const media = navigator.mediaDevices;
    if (!media) return;
    media.addEventListener('devicechange', () => void this.refresh(), { signal });
    void this.refresh();
  }

  /** Asks the browser again (labels appear once a capture permission was granted). */
  async refresh(): Promise<void> {
    const generation = ++this.#generation;
    let devices: MediaDeviceInfo[];
    try {
      devices = (await navigator.mediaDevices?.enumerateDevices()) ?? [];
    } catch {
      // A page without media permissions policy: an empty menu, not an error.
      devices = [];
    }
    if (generation === this.#generation) this.#devices.set(devices);
  }

  /**
   * The options of one kind, with `fallback(n)` for the names the browser hides before permission;
   * the browser's own "default" entry is not doubled by a `communications` one.
   */
  options(kind: DeviceSelectKind, fallback: (n: number) => string): DeviceOption[] {
    const ofKind = this.#devices.get().filter((device) => device.kind === kind && device.deviceId !== 'communications');
    return ofKind.map((device, index) => ({ deviceId: device.deviceId, label: device.label || fallback(index + 1) }));
  }
}
