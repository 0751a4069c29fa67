/** Internal events a lease delivers to its holder (elements turn them into DOM events). */
import type { IrError } from '../core/errors.js';
import type { InstanceInfo, Peer, PeerMessage, StateChange } from '../core/instance-spec.js';
import type { RemoteTrack } from '../transports/transport-adapter.js';

export interface LeaseEventMap {
  state: StateChange;
  provisioned: { instance: InstanceInfo };
  'peer-join': { peer: Peer };
  'peer-leave': { peer: Peer };
  message: PeerMessage;
  'track-added': RemoteTrack;
  'track-removed': RemoteTrack;
  /** A remote track's paused (muted) state changed; the detail has the new state. */
  'track-paused': RemoteTrack;
  error: { error: IrError };
}

/** A typed EventTarget; a listener's exception is reported, never breaks the registry. */
export class LeaseEvents {
  readonly #target = new EventTarget();

  on<K extends keyof LeaseEventMap>(
    type: K,
    listener: (detail: LeaseEventMap[K]) => void,
    options?: { signal?: AbortSignal },
  ): void {
    this.#target.addEventListener(type, (event) => listener((event as CustomEvent<LeaseEventMap[K]>).detail), options);
  }

  /** @internal */
  emit<K extends keyof LeaseEventMap>(type: K, detail: LeaseEventMap[K]): void {
    this.#target.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
