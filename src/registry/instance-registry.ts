/**
 * The instance registry: leases with refcounts over one connection per spec, and the state of
 * every instance as signals. It makes no network call; connections do, and report back here.
 */

import type { ConnectionObserver } from '../connection/instance-connection.js';
import { createLazyConnection } from '../connection/lazy-connection.js';
import { IrError } from '../core/errors.js';
import {
  type ConnectionState,
  type InstanceInfo,
  type InstanceKind,
  type InstanceSpec,
  type Peer,
  type PeerMessage,
  type SendOptions,
  type StateChange,
  specKey,
  toInstanceInfo,
} from '../core/instance-spec.js';
import { getPagePeerID } from '../core/peer-id.js';
import { computed, type ReadonlySignal, signal, type WritableSignal } from '../core/signals.js';
import type { MediaSource, ProvisionedInstance } from '../protocol/index.js';
import type { RemoteTrack } from '../transports/transport-adapter.js';
import { type LeaseEventMap, LeaseEvents } from './lease-events.js';

/** One instance as app code sees it in `instanceRegistry.instances`. */
export interface RegistryInstance {
  id: string;
  kind: InstanceKind;
  locationId?: string;
  channelId?: string;
  roomCode: string;
  p2p: boolean;
  state: ConnectionState;
  peers: ReadonlyMap<string, Peer>;
  error: IrError | null;
}

/** Remote tracks by peerID, then by source. */
export type RemoteTracks = ReadonlyMap<string, ReadonlyMap<MediaSource, RemoteTrack>>;

/** What the registry needs of a connection. */
export interface ConnectionLike {
  start(): void;
  reconnect(): void;
  send(data: unknown, options?: SendOptions): Promise<void>;
  publish(source: MediaSource, track: MediaStreamTrack, paused?: boolean): Promise<void>;
  unpublish(source: MediaSource): Promise<void>;
  setPaused(source: MediaSource, paused: boolean): Promise<void>;
  close(): void;
}

/** Makes the connection for a spec; `peerID` is who joins (the page's peerID by default). */
export type ConnectionFactory = (spec: InstanceSpec, observer: ConnectionObserver, peerID: string) => ConnectionLike;

export interface InstanceRegistryOptions {
  /** How long a connected connection outlives its last lease, so a re-render does not reconnect. */
  graceMs: number;
  createConnection: ConnectionFactory;
  peerID: () => string;
}

/** A spec as `acquire()` takes it: `kind` follows from `channelId` / `locationId` when absent. */
export type AcquireSpec = Omit<InstanceSpec, 'kind'> & { kind?: InstanceKind };

/** A holder's share of a connection; `release()` once, when done. */
export interface Lease {
  readonly spec: InstanceSpec;
  readonly state: ReadonlySignal<ConnectionState>;
  readonly instance: ReadonlySignal<InstanceInfo | null>;
  /** The *other* peers. */
  readonly peers: ReadonlySignal<ReadonlyMap<string, Peer>>;
  readonly error: ReadonlySignal<IrError | null>;
  readonly peerIndex: ReadonlySignal<number | null>;
  /** The other peers' tracks, with their paused (muted) state. */
  readonly tracks: ReadonlySignal<RemoteTracks>;
  readonly selfPeerID: string;
  /** Internal events for the holder; they stop after `release()`. */
  readonly events: LeaseEvents;
  readonly released: boolean;
  send(data: unknown, options?: SendOptions): Promise<void>;
  /** Publishes a local track (again after every reconnect); the caller keeps owning the track. */
  publish(source: MediaSource, track: MediaStreamTrack, paused?: boolean): Promise<void>;
  unpublish(source: MediaSource): Promise<void>;
  /** Pauses or resumes a published source: others see it as muted. */
  setPaused(source: MediaSource, paused: boolean): Promise<void>;
  /** Joins again (after `failed`, or to force a new link). */
  reconnect(): void;
  release(): void;
}

class ConnectionRecord implements ConnectionObserver {
  readonly key: string;
  readonly spec: InstanceSpec;
  readonly stateSignal: WritableSignal<ConnectionState> = signal<ConnectionState>('idle');
  readonly instanceSignal: WritableSignal<InstanceInfo | null> = signal<InstanceInfo | null>(null);
  readonly peersSignal: WritableSignal<ReadonlyMap<string, Peer>> = signal<ReadonlyMap<string, Peer>>(new Map());
  readonly errorSignal: WritableSignal<IrError | null> = signal<IrError | null>(null);
  readonly peerIndexSignal: WritableSignal<number | null> = signal<number | null>(null);
  readonly tracksSignal: WritableSignal<RemoteTracks> = signal<RemoteTracks>(new Map());
  readonly leases = new Set<LeaseImpl>();
  connection!: ConnectionLike;
  /** Who joins through the connection. */
  peerID = '';
  closeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(key: string, spec: InstanceSpec) {
    this.key = key;
    this.spec = spec;
  }

  #emit<K extends keyof LeaseEventMap>(type: K, detail: LeaseEventMap[K]) {
    for (const lease of [...this.leases]) lease.events.emit(type, detail);
  }

  state(state: ConnectionState, reason: string | undefined, error: IrError | null, attempt?: number): void {
    const previous = this.stateSignal.get();
    this.stateSignal.set(state);
    if (error || state === 'connected' || state === 'provisioning') this.errorSignal.set(error);
    const change: StateChange = { state, previous };
    if (reason !== undefined) change.reason = reason;
    if (error) change.error = error;
    if (attempt !== undefined) change.attempt = attempt;
    this.#emit('state', change);
  }

  provisioned(instance: ProvisionedInstance): void {
    const info = toInstanceInfo(this.spec, instance);
    this.instanceSignal.set(info);
    this.#emit('provisioned', { instance: info });
  }

  joined(peerIndex: number, peers: readonly Peer[]): void {
    this.peerIndexSignal.set(peerIndex);
    const before = this.peersSignal.get();
    const after = new Map(peers.map((peer) => [peer.peerID, peer]));
    this.peersSignal.set(after);
    for (const [id, peer] of before) if (!after.has(id)) this.#emit('peer-leave', { peer });
    for (const [id, peer] of after) if (!before.has(id)) this.#emit('peer-join', { peer });
  }

  peerJoined(peer: Peer): void {
    const next = new Map(this.peersSignal.get());
    next.set(peer.peerID, peer);
    this.peersSignal.set(next);
    this.#emit('peer-join', { peer });
  }

  peerLeft(peer: Peer): void {
    const next = new Map(this.peersSignal.get());
    if (!next.delete(peer.peerID)) return;
    this.peersSignal.set(next);
    // An adapter reports the tracks of a peer that left; this covers one that does not.
    for (const track of this.tracksSignal.get().get(peer.peerID)?.values() ?? []) this.trackRemoved(track);
    this.#emit('peer-leave', { peer });
  }

  message(message: PeerMessage): void {
    this.#emit('message', message);
  }

  trackAdded(track: RemoteTrack): void {
    const previous = this.tracksSignal.get().get(track.peerID)?.get(track.source);
    if (previous?.track === track.track) return;
    if (previous) this.trackRemoved(previous);
    this.#updateTracks(track.peerID, (sources) => sources.set(track.source, track));
    this.#emit('track-added', track);
  }

  trackRemoved(track: RemoteTrack): void {
    const current = this.tracksSignal.get().get(track.peerID)?.get(track.source);
    if (current?.track !== track.track) return;
    this.#updateTracks(track.peerID, (sources) => sources.delete(track.source));
    this.#emit('track-removed', current);
  }

  trackPaused(peerID: string, source: MediaSource, paused: boolean): void {
    const current = this.tracksSignal.get().get(peerID)?.get(source);
    if (!current || current.paused === paused) return;
    const next = { ...current, paused };
    this.#updateTracks(peerID, (sources) => sources.set(source, next));
    this.#emit('track-paused', next);
  }

  tracksCleared(): void {
    for (const sources of this.tracksSignal.get().values())
      for (const track of sources.values()) this.trackRemoved(track);
  }

  #updateTracks(peerID: string, change: (sources: Map<MediaSource, RemoteTrack>) => void): void {
    const all = new Map(this.tracksSignal.get());
    const sources = new Map(all.get(peerID));
    change(sources);
    if (sources.size > 0) all.set(peerID, sources);
    else all.delete(peerID);
    this.tracksSignal.set(all);
  }

  error(error: IrError): void {
    this.#emit('error', { error });
  }

  toRegistryInstance(): RegistryInstance | null {
    const instance = this.instanceSignal.get();
    if (!instance) return null;
    const entry: RegistryInstance = {
      id: instance.id,
      kind: this.spec.kind,
      roomCode: instance.roomCode,
      p2p: instance.p2p,
      state: this.stateSignal.get(),
      peers: this.peersSignal.get(),
      error: this.errorSignal.get(),
    };
    if (instance.locationId !== undefined) entry.locationId = instance.locationId;
    if (instance.channelId !== undefined) entry.channelId = instance.channelId;
    return entry;
  }
}

class LeaseImpl implements Lease {
  readonly events = new LeaseEvents();
  readonly selfPeerID: string;
  released = false;
  readonly #record: ConnectionRecord;
  readonly #onRelease: (lease: LeaseImpl) => void;

  constructor(record: ConnectionRecord, selfPeerID: string, onRelease: (lease: LeaseImpl) => void) {
    this.#record = record;
    this.selfPeerID = selfPeerID;
    this.#onRelease = onRelease;
  }

  get spec() {
    return this.#record.spec;
  }
  get state() {
    return this.#record.stateSignal;
  }
  get instance() {
    return this.#record.instanceSignal;
  }
  get peers() {
    return this.#record.peersSignal;
  }
  get error() {
    return this.#record.errorSignal;
  }
  get peerIndex() {
    return this.#record.peerIndexSignal;
  }
  get tracks() {
    return this.#record.tracksSignal;
  }

  send(data: unknown, options?: SendOptions): Promise<void> {
    if (this.released) return Promise.reject(IrError.invalidState('this lease was released'));
    return this.#record.connection.send(data, options);
  }

  publish(source: MediaSource, track: MediaStreamTrack, paused?: boolean): Promise<void> {
    if (this.released) return Promise.reject(IrError.invalidState('this lease was released'));
    return this.#record.connection.publish(source, track, paused);
  }

  unpublish(source: MediaSource): Promise<void> {
    if (this.released) return Promise.resolve();
    return this.#record.connection.unpublish(source);
  }

  setPaused(source: MediaSource, paused: boolean): Promise<void> {
    if (this.released) return Promise.reject(IrError.invalidState('this lease was released'));
    return this.#record.connection.setPaused(source, paused);
  }

  reconnect(): void {
    if (!this.released) this.#record.connection.reconnect();
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.#onRelease(this);
  }
}

function normaliseSpec(spec: AcquireSpec): InstanceSpec {
  const kind = spec.kind ?? (spec.channelId !== undefined && spec.locationId === undefined ? 'media' : 'world');
  return { ...spec, kind };
}

export class InstanceRegistry {
  /** Every provisioned instance with a live lease, by instance id. */
  readonly instances: ReadonlySignal<ReadonlyMap<string, RegistryInstance>>;
  /** True while any instance is connected. */
  readonly connected: ReadonlySignal<boolean>;
  readonly options: InstanceRegistryOptions;
  readonly #records = new Map<string, ConnectionRecord>();
  readonly #list = signal<readonly ConnectionRecord[]>([]);

  constructor(options: Partial<InstanceRegistryOptions> = {}) {
    this.options = { graceMs: 1000, createConnection: createLazyConnection, peerID: getPagePeerID, ...options };
    this.instances = computed(() => {
      const map = new Map<string, RegistryInstance>();
      for (const record of this.#list.get()) {
        const entry = record.toRegistryInstance();
        if (entry) map.set(entry.id, entry);
      }
      return map;
    });
    this.connected = computed(() => this.#list.get().some((record) => record.stateSignal.get() === 'connected'));
  }

  /** A lease on the connection for `spec`; equal specs share one connection. */
  acquire(input: AcquireSpec): Lease {
    const spec = normaliseSpec(input);
    const key = specKey(spec);
    let record = this.#records.get(key);
    if (record) {
      clearTimeout(record.closeTimer);
      record.closeTimer = undefined;
    } else {
      record = new ConnectionRecord(key, spec);
      record.peerID = this.options.peerID();
      record.connection = this.options.createConnection(spec, record, record.peerID);
      this.#records.set(key, record);
      this.#list.set([...this.#records.values()]);
    }
    const lease = new LeaseImpl(record, record.peerID, (released) => this.#release(key, released));
    record.leases.add(lease);
    if (record.leases.size === 1 && record.stateSignal.get() === 'idle') record.connection.start();
    return lease;
  }

  /** How many leases hold the connection for `spec` (0 when none or closed), for diagnostics and tests. */
  leaseCount(input: AcquireSpec): number {
    return this.#records.get(specKey(normaliseSpec(input)))?.leases.size ?? 0;
  }

  /** Whether a connection for `spec` is open or in its grace period. */
  has(input: AcquireSpec): boolean {
    return this.#records.has(specKey(normaliseSpec(input)));
  }

  #release(key: string, lease: LeaseImpl): void {
    const record = this.#records.get(key);
    if (!record) return;
    record.leases.delete(lease);
    if (record.leases.size > 0) return;
    clearTimeout(record.closeTimer);
    // In-flight work (provisioning, connecting) stops at once; an open link gets the grace period.
    if (record.stateSignal.get() !== 'connected') {
      this.#close(key, record);
      return;
    }
    record.closeTimer = setTimeout(() => this.#close(key, record), this.options.graceMs);
  }

  #close(key: string, record: ConnectionRecord): void {
    if (record.leases.size > 0 || this.#records.get(key) !== record) return;
    this.#records.delete(key);
    this.#list.set([...this.#records.values()]);
    record.connection.close();
  }
}

/** The page-wide registry the elements use. Creating it touches no DOM, so importing the kit stays SSR-safe. */
export const instanceRegistry: InstanceRegistry = new InstanceRegistry();

/** A lease from the page-wide registry, for apps that want a room without an element. */
export function acquire(spec: AcquireSpec): Lease {
  return instanceRegistry.acquire(spec);
}
