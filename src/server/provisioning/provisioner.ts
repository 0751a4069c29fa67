/**
 * The instance-provision rules (PROTOCOL.md §1): which instance a request lands in, a seat
 * reserved for the caller there, and the answer that points the client at its instance server.
 */
import { randomUUID } from 'node:crypto';
import type { IceServer, PeerServerOptions, ProvisionedInstance, ProvisionQuery, User } from '../../protocol/index.js';
import { HttpError } from '../http/http-error.js';
import { DEFAULTS, parseHostPort } from '../options.js';
import type { InstanceRecord, Store } from '../store/store.js';
import { mayEnter } from './access.js';
import { KeyedMutex } from './keyed-mutex.js';
import { defaultCapacity, type LocationPolicy, type Locations } from './locations.js';
import { newRoomCode } from './room-codes.js';

/** Told about every reservation, so the instance host can end instances nobody came to. */
export interface InstanceLifecycle {
  /** A seat was reserved (until `until`, when known): the instance is in use until then at least. */
  seatReserved(instanceId: string, until?: number): void;
}

/** What the provisioner learns of the HTTP request behind a provisioning query. */
export interface ProvisionRequest {
  missed?: () => void;
  secure?: boolean;
}

export interface ProvisionerOptions {
  store: Store;
  locations: Locations;
  lifecycle: InstanceLifecycle;
  /** What answers advertise and records name as their server. */
  publicHost: string;
  publicPort: number;
  reservationTtlMs: number;
  maxInstances?: number | undefined;
  /** Live instances one user's requests may have made. */
  maxInstancesPerUser?: number | undefined;
  /**
   * With several instance servers: the host:port of the one to host a new instance (the least
   * loaded), or null when none has room. Without it this server hosts every instance it makes,
   * up to `maxInstances`.
   */
  allocate?: (() => Promise<string | null>) | undefined;
  /** What P2P answers add: the PeerServer and the ICE servers (with TURN credentials) for a user. */
  p2p?: { peerServer: PeerServerOptions; iceServers(userId: string): IceServer[] } | undefined;
}

const ROOM_CODE_ATTEMPTS = 50;

export class Provisioner {
  readonly #o: ProvisionerOptions;
  readonly #mutex = new KeyedMutex();

  constructor(options: ProvisionerOptions) {
    this.#o = options;
  }

  /**
   * `request.missed` is called when the query's room code or instance id names no live instance
   * (a guess, perhaps: the caller limits those per address); `request.secure` says the client came
   * over HTTPS, so P2P answers send it to the PeerServer over wss.
   */
  async provision(query: ProvisionQuery, user: User, request: ProvisionRequest = {}): Promise<ProvisionedInstance> {
    const missed = request.missed ?? (() => {});
    const answer = await this.#provision(query, user, missed);
    if (answer.peerServer) answer.peerServer.secure = request.secure ?? false;
    return answer;
  }

  async #provision(query: ProvisionQuery, user: User, missed: () => void): Promise<ProvisionedInstance> {
    if (query.channelId !== undefined) {
      const channelId = query.channelId;
      return this.#mutex.run(`channel:${channelId}`, () => this.#provisionMedia(channelId, query, user, missed));
    }
    const locationId = query.locationId!;
    const policy = this.#o.locations.resolve(locationId, query.topology);
    if (!policy) throw HttpError.notFound(`unknown location ${locationId}`);
    // The common case, a seat in an instance that has one, needs no lock: reservations are atomic.
    // Only making an instance waits its turn, so concurrent requests do not make one each.
    const plain = query.instanceId === undefined && query.roomCode === undefined && query.createPrivateRoom !== 'true';
    if (plain) {
      const seated = await this.#joinFullest(locationId, policy, user);
      if (seated) return seated;
    }
    return this.#mutex.run(`location:${locationId}`, () =>
      this.#provisionWorld(locationId, policy, query, user, missed),
    );
  }

  async #provisionWorld(
    locationId: string,
    policy: LocationPolicy,
    query: ProvisionQuery,
    user: User,
    missed: () => void,
  ): Promise<ProvisionedInstance> {
    const { store } = this.#o;
    if (query.instanceId !== undefined) {
      const instance = await store.getInstance(query.instanceId);
      if (instance?.kind !== 'world' || instance.locationId !== locationId) {
        missed();
        throw HttpError.notFound(`no live instance ${query.instanceId} in location ${locationId}`);
      }
      const byCode = query.roomCode !== undefined && query.roomCode === instance.roomCode;
      return this.#join(instance, user, byCode);
    }
    if (query.createPrivateRoom === 'true') {
      return this.#create(
        { kind: 'world', locationId, policy, private: true, authorizedUsers: [user.id], worldInstanceId: null },
        user,
      );
    }
    if (query.roomCode !== undefined) {
      const instance = await store.findByRoomCode(query.roomCode);
      if (instance) {
        if (instance.kind !== 'world' || instance.locationId !== locationId) {
          throw HttpError.notFound(`room ${query.roomCode} is not in location ${locationId}`);
        }
        return this.#join(instance, user, true);
      }
      // A code nobody holds any more re-creates its room, so a shared invite keeps working.
      missed();
      return this.#create(
        { kind: 'world', locationId, policy, private: false, authorizedUsers: [], worldInstanceId: null },
        user,
        query.roomCode,
      );
    }
    return (
      (await this.#joinFullest(locationId, policy, user)) ??
      this.#create(
        { kind: 'world', locationId, policy, private: false, authorizedUsers: [], worldInstanceId: null },
        user,
      )
    );
  }

  /**
   * A seat in the user's own or else the fullest public instance of the location that has one, in
   * one atomic step of the store; null when none has room.
   */
  async #joinFullest(locationId: string, policy: LocationPolicy, user: User): Promise<ProvisionedInstance | null> {
    const ttlMs = this.#o.reservationTtlMs;
    const instance = await this.#o.store.reserveInFullest(locationId, user.id, policy.p2p, ttlMs);
    if (!instance) return null;
    this.#o.lifecycle.seatReserved(instance.id, Date.now() + ttlMs);
    return this.#answer(instance, user);
  }

  async #provisionMedia(
    channelId: string,
    query: ProvisionQuery,
    user: User,
    missed: () => void,
  ): Promise<ProvisionedInstance> {
    const { store } = this.#o;
    const existing = await store.findMediaInstance(channelId);
    if (existing) {
      if (query.instanceId !== undefined && query.instanceId !== existing.id) {
        missed();
        throw HttpError.notFound(`no live instance ${query.instanceId} for channel ${channelId}`);
      }
      return this.#join(existing, user, false);
    }
    if (query.instanceId !== undefined) {
      missed();
      throw HttpError.notFound(`no live instance ${query.instanceId} for channel ${channelId}`);
    }
    const world = await store.findWorldInstanceByChannel(channelId);
    if (!world && !this.#o.locations.dev) throw HttpError.notFound(`unknown channel ${channelId}`);
    if (world && !(await mayEnter(store, world, user.id))) {
      throw HttpError.forbidden(`channel ${channelId} belongs to a private room`);
    }
    if (world && (await store.kickedUntil(world.id, { userId: user.id })) !== null) {
      throw HttpError.forbidden(`you were removed from the room of channel ${channelId}`);
    }
    const policy: LocationPolicy = world
      ? { capacity: world.capacity, p2p: world.p2p, adHoc: false }
      : { capacity: defaultCapacity(query.topology === 'p2p'), p2p: query.topology === 'p2p', adHoc: true };
    return this.#create(
      {
        kind: 'media',
        locationId: world?.locationId ?? null,
        channelId,
        policy,
        private: world?.private ?? false,
        authorizedUsers: world ? [...world.authorizedUsers] : [],
        worldInstanceId: world?.id ?? null,
      },
      user,
    );
  }

  /** Enters an existing instance: kicks and access checked, then an atomic seat reservation. */
  async #join(instance: InstanceRecord, user: User, byRoomCode: boolean): Promise<ProvisionedInstance> {
    const { store } = this.#o;
    const kickedUntil = await store.kickedUntil(instance.id, { userId: user.id });
    if (kickedUntil !== null) {
      throw HttpError.forbidden(
        `you were removed from instance ${instance.id} until ${new Date(kickedUntil).toISOString()}`,
      );
    }
    if (byRoomCode && instance.private) await store.authorizeUser(instance.id, user.id);
    else if (!(await mayEnter(store, instance, user.id))) {
      throw HttpError.forbidden(`instance ${instance.id} is private`);
    }
    if (!(await this.#reserve(instance, user))) throw HttpError.full(`instance ${instance.id} is full`);
    return this.#answer(instance, user);
  }

  async #reserve(instance: InstanceRecord, user: User): Promise<boolean> {
    const reserved = await this.#o.store.reserveSeat(instance.id, user.id, instance.capacity, this.#o.reservationTtlMs);
    if (reserved) this.#o.lifecycle.seatReserved(instance.id);
    return reserved;
  }

  async #create(
    spec: {
      kind: 'world' | 'media';
      locationId: string | null;
      channelId?: string;
      policy: LocationPolicy;
      private: boolean;
      authorizedUsers: string[];
      worldInstanceId: string | null;
    },
    user: User,
    roomCode?: string,
  ): Promise<ProvisionedInstance> {
    const { store, maxInstances, maxInstancesPerUser, allocate } = this.#o;
    const live = await store.listInstances();
    if (!allocate && maxInstances !== undefined && live.length >= maxInstances) {
      throw HttpError.noCapacity('no instance can be made now', DEFAULTS.noCapacityRetryAfterSeconds);
    }
    if (
      maxInstancesPerUser !== undefined &&
      live.filter((i) => i.createdBy === user.id).length >= maxInstancesPerUser
    ) {
      throw new HttpError('RATE_LIMITED', `at most ${maxInstancesPerUser} live instances per user`, {
        retryAfter: DEFAULTS.noCapacityRetryAfterSeconds,
      });
    }
    let server = `${this.#o.publicHost}:${this.#o.publicPort}`;
    if (allocate) {
      const allocated = await allocate();
      if (!allocated) throw HttpError.noCapacity('no instance server has room', DEFAULTS.noCapacityRetryAfterSeconds);
      server = allocated;
    }
    const id = randomUUID();
    for (let attempt = 0; attempt < ROOM_CODE_ATTEMPTS; attempt++) {
      const record: InstanceRecord = {
        id,
        kind: spec.kind,
        locationId: spec.locationId,
        channelId: spec.channelId ?? randomUUID(),
        roomCode: attempt === 0 && roomCode ? roomCode : newRoomCode(),
        p2p: spec.policy.p2p,
        private: spec.private,
        authorizedUsers: spec.authorizedUsers,
        capacity: spec.policy.capacity,
        server,
        hostPeerId: randomUUID(),
        worldInstanceId: spec.worldInstanceId,
        createdAt: Date.now(),
        createdBy: user.id,
      };
      const result = await store.createInstance(record, { userId: user.id, ttlMs: this.#o.reservationTtlMs });
      if (result === 'created') {
        this.#o.lifecycle.seatReserved(id);
        return this.#answer(record, user);
      }
      if (result === 'channel-taken') {
        // Another process made the channel's media instance first; join that one.
        const existing = await store.findMediaInstance(record.channelId);
        if (existing) return this.#join(existing, user, false);
      }
    }
    throw HttpError.noCapacity('no free room code', DEFAULTS.noCapacityRetryAfterSeconds);
  }

  #answer(instance: InstanceRecord, user: User): ProvisionedInstance {
    // p2p instances get the socket address too: presence and the handshake run over the instance
    // socket; PeerJS carries only data and media.
    const server = parseHostPort(instance.server) ?? { host: this.#o.publicHost, port: this.#o.publicPort };
    const answer: ProvisionedInstance = {
      id: instance.id,
      ipAddress: server.host,
      port: server.port,
      roomCode: instance.roomCode,
      p2p: instance.p2p,
    };
    if (instance.kind === 'world') answer.channelId = instance.channelId;
    if (instance.p2p && this.#o.p2p) {
      answer.iceServers = this.#o.p2p.iceServers(user.id);
      // The PeerServer of the server hosting the instance: it admits only peers joined there.
      answer.peerServer = { ...this.#o.p2p.peerServer, host: server.host, port: server.port };
    }
    return answer;
  }
}
