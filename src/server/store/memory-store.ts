/**
 * The in-memory Store for one process. Its atomic methods are atomic because each runs to the
 * end without awaiting: check and write happen in the same turn of the event loop.
 */
import {
  type ClaimResult,
  type CreateResult,
  checkRegistration,
  compareLoad,
  type InstanceRecord,
  type Kick,
  type LiveServer,
  type SeatCounts,
  type ServerRegistration,
  type Store,
} from './store.js';

interface InstanceEntry {
  record: InstanceRecord;
  /** peerId → userId */
  seats: Map<string, string>;
  /** userId → expiry (ms since epoch) */
  reservations: Map<string, number>;
  kicks: Kick[];
}

export class MemoryStore implements Store {
  readonly #instances = new Map<string, InstanceEntry>();
  readonly #roomCodes = new Map<string, string>();
  readonly #mediaByChannel = new Map<string, string>();
  readonly #worldByChannel = new Map<string, string>();
  readonly #servers = new Map<string, LiveServer>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async createInstance(record: InstanceRecord, reserveFor?: { userId: string; ttlMs: number }): Promise<CreateResult> {
    if (this.#roomCodes.has(record.roomCode)) return 'room-code-taken';
    const channels = record.kind === 'media' ? this.#mediaByChannel : this.#worldByChannel;
    if (channels.has(record.channelId)) return 'channel-taken';
    const entry: InstanceEntry = { record: copy(record), seats: new Map(), reservations: new Map(), kicks: [] };
    if (reserveFor) entry.reservations.set(reserveFor.userId, this.#now() + reserveFor.ttlMs);
    this.#instances.set(record.id, entry);
    this.#roomCodes.set(record.roomCode, record.id);
    channels.set(record.channelId, record.id);
    return 'created';
  }

  async getInstance(id: string): Promise<InstanceRecord | null> {
    const entry = this.#instances.get(id);
    return entry ? copy(entry.record) : null;
  }

  async listInstances(filter: { locationId?: string } = {}): Promise<InstanceRecord[]> {
    const records: InstanceRecord[] = [];
    for (const { record } of this.#instances.values()) {
      if (filter.locationId === undefined || record.locationId === filter.locationId) records.push(copy(record));
    }
    return records;
  }

  async findByRoomCode(roomCode: string): Promise<InstanceRecord | null> {
    return this.#recordById(this.#roomCodes.get(roomCode));
  }

  async findMediaInstance(channelId: string): Promise<InstanceRecord | null> {
    return this.#recordById(this.#mediaByChannel.get(channelId));
  }

  async findWorldInstanceByChannel(channelId: string): Promise<InstanceRecord | null> {
    return this.#recordById(this.#worldByChannel.get(channelId));
  }

  async authorizeUser(instanceId: string, userId: string): Promise<void> {
    const entry = this.#instances.get(instanceId);
    if (entry && !entry.record.authorizedUsers.includes(userId)) entry.record.authorizedUsers.push(userId);
  }

  async reserveSeat(instanceId: string, userId: string, capacity: number, ttlMs: number): Promise<boolean> {
    const entry = this.#instances.get(instanceId);
    if (!entry) return false;
    const now = this.#now();
    this.#dropExpired(entry, now);
    if ([...entry.seats.values()].includes(userId)) return true;
    if (!entry.reservations.has(userId) && entry.seats.size + entry.reservations.size >= capacity) return false;
    entry.reservations.set(userId, now + ttlMs);
    return true;
  }

  async reserveInFullest(
    locationId: string,
    userId: string,
    p2p: boolean,
    ttlMs: number,
  ): Promise<InstanceRecord | null> {
    const now = this.#now();
    let best: { entry: InstanceEntry; seats: number; has: boolean; seated: boolean } | null = null;
    for (const entry of this.#instances.values()) {
      const { record } = entry;
      if (record.kind !== 'world' || record.locationId !== locationId || record.private || record.p2p !== p2p) continue;
      if (entry.kicks.some((kick) => kick.userId === userId && kick.until > now)) continue;
      this.#dropExpired(entry, now);
      const seated = [...entry.seats.values()].includes(userId);
      const has = seated || entry.reservations.has(userId);
      const seats = entry.seats.size + entry.reservations.size;
      if (!has && seats >= record.capacity) continue;
      const better =
        best === null ||
        (has !== best.has
          ? has
          : seats !== best.seats
            ? seats > best.seats
            : record.createdAt < best.entry.record.createdAt);
      if (better) best = { entry, seats, has, seated };
    }
    if (!best) return null;
    if (!best.seated) best.entry.reservations.set(userId, now + ttlMs);
    return copy(best.entry.record);
  }

  async claimSeat(instanceId: string, peerId: string, userId: string, capacity: number): Promise<ClaimResult> {
    const entry = this.#instances.get(instanceId);
    if (!entry) return 'ended';
    this.#dropExpired(entry, this.#now());
    if (entry.seats.has(peerId)) {
      entry.seats.set(peerId, userId);
      return 'claimed';
    }
    if (entry.reservations.delete(userId) || entry.seats.size + entry.reservations.size < capacity) {
      entry.seats.set(peerId, userId);
      return 'claimed';
    }
    return 'full';
  }

  async releaseSeat(instanceId: string, peerId: string): Promise<void> {
    this.#instances.get(instanceId)?.seats.delete(peerId);
  }

  async seatedPeers(instanceId: string): Promise<{ peerId: string; userId: string }[]> {
    const seats = this.#instances.get(instanceId)?.seats ?? new Map<string, string>();
    return [...seats].map(([peerId, userId]) => ({ peerId, userId }));
  }

  async seatCounts(instanceId: string): Promise<SeatCounts> {
    const entry = this.#instances.get(instanceId);
    if (!entry) return { peers: 0, reservations: 0, reservationsExpireAt: null };
    this.#dropExpired(entry, this.#now());
    const expiries = [...entry.reservations.values()];
    return {
      peers: entry.seats.size,
      reservations: expiries.length,
      reservationsExpireAt: expiries.length > 0 ? Math.max(...expiries) : null,
    };
  }

  async addKick(instanceId: string, kick: Kick): Promise<void> {
    const entry = this.#instances.get(instanceId);
    if (!entry) return;
    const now = this.#now();
    // Bounded by what is live: lapsed kicks go whenever a new one comes.
    entry.kicks = entry.kicks.filter((k) => k.until > now);
    entry.kicks.push({ ...kick });
  }

  async kickedUntil(instanceId: string, who: { peerId?: string; userId?: string }): Promise<number | null> {
    const entry = this.#instances.get(instanceId);
    if (!entry) return null;
    const now = this.#now();
    let until: number | null = null;
    for (const kick of entry.kicks) {
      const matches =
        (kick.peerId !== undefined && kick.peerId === who.peerId) ||
        (kick.userId !== undefined && kick.userId === who.userId);
      if (matches && kick.until > now && (until === null || kick.until > until)) until = kick.until;
    }
    return until;
  }

  async endInstance(instanceId: string): Promise<void> {
    const entry = this.#instances.get(instanceId);
    if (!entry) return;
    const { record } = entry;
    this.#instances.delete(instanceId);
    if (this.#roomCodes.get(record.roomCode) === instanceId) this.#roomCodes.delete(record.roomCode);
    const channels = record.kind === 'media' ? this.#mediaByChannel : this.#worldByChannel;
    if (channels.get(record.channelId) === instanceId) channels.delete(record.channelId);
  }

  async registerServer(server: ServerRegistration, ttlMs: number): Promise<void> {
    checkRegistration(server, ttlMs);
    const { id, address, capacity, load } = server;
    this.#servers.set(id, { id, address, capacity, load, expiresAt: this.#now() + ttlMs });
  }

  async unregisterServer(id: string): Promise<void> {
    this.#servers.delete(id);
  }

  async liveServers(): Promise<LiveServer[]> {
    const now = this.#now();
    return [...this.#servers.values()]
      .filter((s) => s.expiresAt > now)
      .sort(compareLoad)
      .map((s) => ({ ...s }));
  }

  async allocateServer(): Promise<LiveServer | null> {
    const now = this.#now();
    const [best] = [...this.#servers.values()]
      .filter((s) => s.expiresAt > now && s.load < s.capacity)
      .sort(compareLoad);
    if (!best) return null;
    best.load += 1;
    return { ...best };
  }

  async takeLapsedServers(): Promise<ServerRegistration[]> {
    const now = this.#now();
    const lapsed: ServerRegistration[] = [];
    for (const [id, { expiresAt, ...server }] of this.#servers) {
      if (expiresAt > now) continue;
      this.#servers.delete(id);
      lapsed.push(server);
    }
    return lapsed;
  }

  async close(): Promise<void> {
    this.#servers.clear();
    this.#instances.clear();
    this.#roomCodes.clear();
    this.#mediaByChannel.clear();
    this.#worldByChannel.clear();
  }

  #recordById(id: string | undefined): InstanceRecord | null {
    const entry = id === undefined ? undefined : this.#instances.get(id);
    return entry ? copy(entry.record) : null;
  }

  #dropExpired(entry: InstanceEntry, now: number): void {
    for (const [userId, expiresAt] of entry.reservations) {
      if (expiresAt <= now) entry.reservations.delete(userId);
    }
  }
}

/** Callers get copies, as they would from a shared store, so no one mutates state behind its back. */
function copy(record: InstanceRecord): InstanceRecord {
  return { ...record, authorizedUsers: [...record.authorizedUsers] };
}
