/**
 * Holds an element's lease on the registry: acquires when the element is in the DOM and its spec is
 * complete, re-acquires when the spec changes, and releases a task after removal so a DOM move keeps
 * the same connection. Turns the lease's internal events into the kit's DOM events.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { IrError } from '../core/errors.js';
import {
  type ConnectionState,
  type InstanceInfo,
  type Peer,
  type PeerMessage,
  type StateChange,
  specKey,
} from '../core/instance-spec.js';
import { getPagePeerID } from '../core/peer-id.js';
import { signal } from '../core/signals.js';
import {
  type AcquireSpec,
  type InstanceRegistry,
  instanceRegistry,
  type Lease,
  type RemoteTracks,
} from '../registry/instance-registry.js';
import type { RemoteTrack } from '../transports/transport-adapter.js';
import { IrErrorEvent, type IrStateChangeDetail, IrStateChangeEvent } from './events.js';

const NO_PEERS: ReadonlyMap<string, Peer> = new Map();
const NO_TRACKS: RemoteTracks = new Map();

export interface LeaseControllerOptions {
  /** The spec to hold, or `null` while it is incomplete (the controller then waits). */
  spec(): AcquireSpec | null;
  internals: ElementInternals;
  registry?: InstanceRegistry;
  onProvisioned?(instance: InstanceInfo): void;
  onPeerJoin?(peer: Peer): void;
  onPeerLeave?(peer: Peer): void;
  onMessage?(message: PeerMessage): void;
  onTrackAdded?(track: RemoteTrack): void;
  onTrackRemoved?(track: RemoteTrack): void;
  /** A remote track's paused (muted) state changed. */
  onTrackPaused?(track: RemoteTrack): void;
  /** A lease was taken (first join, or a new spec): the holder publishes its local tracks on it. */
  onAttach?(lease: Lease): void;
  /** The host left the document for good (not a move): it stops whatever it started. */
  onRemoved?(): void;
}

type Host = ReactiveControllerHost & HTMLElement;

export class LeaseController implements ReactiveController {
  readonly #host: Host;
  readonly #options: LeaseControllerOptions;
  readonly #lease = signal<Lease | null>(null);
  readonly #state = signal<ConnectionState>('idle');
  readonly #ownError = signal<IrError | null>(null);
  /** The reconnect attempt last reported. */
  #attempt: number | undefined;
  #key: string | null = null;
  #listening: AbortController | undefined;
  #detachTimer: ReturnType<typeof setTimeout> | undefined;
  #left = false;
  #waiters = new Set<{ resolve(): void; reject(error: unknown): void }>();

  constructor(host: Host, options: LeaseControllerOptions) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
  }

  get registry(): InstanceRegistry {
    return this.#options.registry ?? instanceRegistry;
  }

  get state(): ConnectionState {
    return this.#state.get();
  }

  get lease(): Lease | null {
    return this.#lease.get();
  }

  get instance(): InstanceInfo | null {
    return this.#lease.get()?.instance.get() ?? null;
  }

  get peers(): ReadonlyMap<string, Peer> {
    return this.#lease.get()?.peers.get() ?? NO_PEERS;
  }

  /** The other peers' tracks, by peerID then source. */
  get tracks(): RemoteTracks {
    return this.#lease.get()?.tracks.get() ?? NO_TRACKS;
  }

  get error(): IrError | null {
    return this.#ownError.get() ?? this.#lease.get()?.error.get() ?? null;
  }

  get selfPeerID(): string {
    return this.#lease.get()?.selfPeerID ?? getPagePeerID();
  }

  hostConnected(): void {
    clearTimeout(this.#detachTimer);
    this.#detachTimer = undefined;
    this.sync();
  }

  hostDisconnected(): void {
    clearTimeout(this.#detachTimer);
    // A task later, not now: remove + re-append in one task is a move, and keeps the lease.
    this.#detachTimer = setTimeout(() => {
      this.#detachTimer = undefined;
      if (this.#host.isConnected) return;
      // Before the lease goes, so the holder can still unpublish through it.
      this.#options.onRemoved?.();
      this.#drop('disconnected', 'removed from the DOM');
      // Inserted again later, the element starts afresh, even after leave().
      this.#left = false;
    }, 0);
  }

  hostUpdated(): void {
    this.sync();
  }

  /** Acquires, keeps or swaps the lease to match the current spec. */
  sync(): void {
    if (!this.#host.isConnected || this.#left || this.#detachTimer !== undefined) return;
    let spec: AcquireSpec | null;
    try {
      spec = this.#options.spec();
    } catch (error) {
      this.#fail(error instanceof IrError ? error : IrError.invalidArgument(String(error)));
      return;
    }
    if (!spec) {
      if (this.#lease.get()) this.#drop('idle', 'the spec is incomplete');
      return;
    }
    const key = specKey({ ...spec, kind: spec.kind ?? 'world' });
    if (key === this.#key && this.#lease.get()) return;
    this.#releaseLease();
    this.#key = key;
    this.#ownError.set(null);
    const lease = this.registry.acquire(spec);
    this.#attach(lease);
  }

  /** Leaves the instance; the element stays `disconnected` until `reconnect()`. */
  leave(): void {
    this.#left = true;
    this.#drop('disconnected', 'left');
  }

  /** Joins again; resolves when connected, rejects with the error if it fails. */
  reconnect(): Promise<void> {
    this.#left = false;
    const lease = this.#lease.get();
    // Start first, so the wait is for the *next* connected, not the link being replaced.
    if (lease) lease.reconnect();
    else this.sync();
    if (!this.#lease.get()) {
      const why = this.#host.isConnected ? 'it has nothing to join yet' : 'it is not in the document';
      return Promise.reject(this.error ?? IrError.invalidState(`cannot reconnect: ${why}`));
    }
    return this.whenConnected();
  }

  /** Resolves on the next `connected` (or at once if connected); rejects on `failed` or `disconnected`. */
  whenConnected(): Promise<void> {
    if (this.#state.get() === 'connected') return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.#waiters.add({ resolve, reject }));
  }

  #attach(lease: Lease): void {
    const listening = new AbortController();
    this.#listening = listening;
    const { signal: listen } = listening;
    const options = this.#options;
    lease.events.on('state', (change) => this.#setState(change), { signal: listen });
    lease.events.on('provisioned', ({ instance }) => options.onProvisioned?.(instance), { signal: listen });
    lease.events.on('peer-join', ({ peer }) => options.onPeerJoin?.(peer), { signal: listen });
    lease.events.on('peer-leave', ({ peer }) => options.onPeerLeave?.(peer), { signal: listen });
    lease.events.on('message', (message) => options.onMessage?.(message), { signal: listen });
    lease.events.on('track-added', (track) => options.onTrackAdded?.(track), { signal: listen });
    lease.events.on('track-removed', (track) => options.onTrackRemoved?.(track), { signal: listen });
    lease.events.on('track-paused', (track) => options.onTrackPaused?.(track), { signal: listen });
    lease.events.on('error', ({ error }) => this.#host.dispatchEvent(new IrErrorEvent({ error })), { signal: listen });
    this.#lease.set(lease);
    // A shared connection may already be far along: report where it is now.
    const now = lease.state.get();
    const error = lease.error.get();
    this.#setState({ state: now, previous: this.#state.get(), ...(error ? { error } : {}) });
    const instance = lease.instance.get();
    if (instance && now !== 'idle') options.onProvisioned?.(instance);
    for (const peer of lease.peers.get().values()) options.onPeerJoin?.(peer);
    for (const sources of lease.tracks.get().values())
      for (const track of sources.values()) options.onTrackAdded?.(track);
    options.onAttach?.(lease);
  }

  #releaseLease(): void {
    this.#listening?.abort();
    this.#listening = undefined;
    const lease = this.#lease.get();
    if (lease) {
      for (const sources of lease.tracks.get().values()) {
        for (const track of sources.values()) this.#options.onTrackRemoved?.(track);
      }
      for (const peer of lease.peers.get().values()) this.#options.onPeerLeave?.(peer);
      lease.release();
    }
    this.#lease.set(null);
    this.#key = null;
  }

  #drop(state: ConnectionState, reason: string): void {
    this.#releaseLease();
    this.#setState({ state, previous: this.#state.get(), reason });
  }

  #fail(error: IrError): void {
    this.#releaseLease();
    this.#ownError.set(error);
    this.#setState({ state: 'failed', previous: this.#state.get(), reason: error.code, error });
    this.#host.dispatchEvent(new IrErrorEvent({ error }));
  }

  #setState(change: StateChange): void {
    const previous = this.#state.get();
    const { state, attempt } = change;
    // `reconnecting` again is news when it is the next attempt.
    if (state !== previous || (attempt !== undefined && attempt !== this.#attempt)) {
      this.#state.set(state);
      this.#attempt = attempt;
      this.#mirror(previous, state);
      const detail: IrStateChangeDetail = { state, previous };
      if (change.reason !== undefined) detail.reason = change.reason;
      if (attempt !== undefined) detail.attempt = attempt;
      this.#host.dispatchEvent(new IrStateChangeEvent(detail));
    }
    if (state === 'connected' || state === 'failed' || state === 'disconnected') {
      const waiters = [...this.#waiters];
      this.#waiters.clear();
      const error = change.error ?? this.error ?? IrError.invalidState(`the instance is ${state}, not connected`);
      for (const waiter of waiters) {
        if (state === 'connected') waiter.resolve();
        else waiter.reject(error);
      }
    }
  }

  #mirror(previous: ConnectionState, state: ConnectionState): void {
    const states = this.#options.internals.states;
    try {
      states.delete(previous);
      states.add(state);
    } catch {
      // Browsers before custom state identifiers (Chromium < 125) only accept `--name`.
      states.delete(`--${previous}`);
      states.add(`--${state}`);
    }
  }
}
