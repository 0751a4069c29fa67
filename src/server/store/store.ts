/**
 * Where instances, seats, reservations and room codes live. Every method is async so a shared
 * store (Redis, issue 8) can stand behind the same interface; every method that checks and then
 * writes (seats, room codes) is atomic by contract, never read-then-write across calls.
 */

export type InstanceKind = 'world' | 'media';

export interface InstanceRecord {
  id: string;
  kind: InstanceKind;
  /** World instances: their location. Media instances: the location of their world instance, if any. */
  locationId: string | null;
  /** World instances: the channel of their media. Media instances: the channel they serve. */
  channelId: string;
  roomCode: string;
  p2p: boolean;
  /** Private instances admit only their authorized users. */
  private: boolean;
  authorizedUsers: string[];
  capacity: number;
  /** host:port of the instance server hosting it. */
  server: string;
  /** The peerID the server speaks as inside the instance. */
  hostPeerId: string;
  /** Media instances: the world instance whose channel they serve. */
  worldInstanceId: string | null;
  createdAt: number;
  /** The user whose request made it (limits instances per user); absent in records of older servers. */
  createdBy?: string;
}

/** An admin's kick: the peer (by peerID) or the user (by user id) is refused until `until`. */
export interface Kick {
  peerId?: string;
  userId?: string;
  /** ms since epoch. */
  until: number;
}

export interface SeatCounts {
  /** Peers whose sockets hold a seat. */
  peers: number;
  /** Live (unexpired) reservations. */
  reservations: number;
  /** When the last live reservation expires (ms since epoch), or null. */
  reservationsExpireAt: number | null;
}

/** An instance server as it announces itself: where clients reach it and how busy it is. */
export interface ServerRegistration {
  /** Unique per process (made at start). */
  id: string;
  /** host:port where clients open its instance sockets (its public address). */
  address: string;
  /** Most instances it takes. */
  capacity: number;
  /** Instances it hosts now. */
  load: number;
}

export interface LiveServer extends ServerRegistration {
  /** When the registration lapses unless refreshed (ms since epoch). */
  expiresAt: number;
}

export type ClaimResult = 'claimed' | 'full' | 'ended';

export type CreateResult = 'created' | 'room-code-taken' | 'channel-taken';

export interface Store {
  /**
   * Adds a live instance and claims its room code (and, for a media instance, its channel), and
   * when `reserveFor` is given reserves that user's seat, all in one step.
   */
  createInstance(record: InstanceRecord, reserveFor?: { userId: string; ttlMs: number }): Promise<CreateResult>;
  getInstance(id: string): Promise<InstanceRecord | null>;
  listInstances(filter?: { locationId?: string }): Promise<InstanceRecord[]>;
  findByRoomCode(roomCode: string): Promise<InstanceRecord | null>;
  /** The live media instance serving a channel. */
  findMediaInstance(channelId: string): Promise<InstanceRecord | null>;
  /** The live world instance whose media channel this is. */
  findWorldInstanceByChannel(channelId: string): Promise<InstanceRecord | null>;
  authorizeUser(instanceId: string, userId: string): Promise<void>;
  /**
   * Reserves a seat for a user for `ttlMs`, if joined peers plus live reservations stay within
   * `capacity`; a user's live reservation is refreshed rather than doubled, and a user already
   * seated needs none. Atomic. False when full or ended.
   */
  reserveSeat(instanceId: string, userId: string, capacity: number, ttlMs: number): Promise<boolean>;
  /**
   * Most joins in one atomic step: among the live public world instances of a location with this
   * topology whose kicks do not name the user, the one the user already sits or holds a
   * reservation in, else the fullest with a free seat (the oldest on a tie), and reserves the user
   * a seat there for `ttlMs` (a seated user needs none). That instance, or null when none has room.
   */
  reserveInFullest(locationId: string, userId: string, p2p: boolean, ttlMs: number): Promise<InstanceRecord | null>;
  /**
   * Turns the user's reservation into a seat for `peerId`, or takes a free seat; a peerId that is
   * already seated keeps its seat (a reconnect replacing its old socket). Atomic.
   */
  claimSeat(instanceId: string, peerId: string, userId: string, capacity: number): Promise<ClaimResult>;
  releaseSeat(instanceId: string, peerId: string): Promise<void>;
  /** The peers holding a seat and their users (an API process kicking peers it does not host). */
  seatedPeers(instanceId: string): Promise<{ peerId: string; userId: string }[]>;
  seatCounts(instanceId: string): Promise<SeatCounts>;
  /** Records a kick in an instance; it lasts until its `until` or the instance's end. */
  addKick(instanceId: string, kick: Kick): Promise<void>;
  /**
   * When the longest live kick of an instance naming this peer or this user lapses (ms since
   * epoch), or null when none does.
   */
  kickedUntil(instanceId: string, who: { peerId?: string; userId?: string }): Promise<number | null>;
  /** Removes an instance with its seats, reservations, room code, channel and kicks. */
  endInstance(instanceId: string): Promise<void>;
  /**
   * Adds or refreshes (a heartbeat) an instance server's registration, replacing its address,
   * capacity and load; it lapses `ttlMs` later unless refreshed again.
   */
  registerServer(server: ServerRegistration, ttlMs: number): Promise<void>;
  /** Removes a registration (a server shutting down). */
  unregisterServer(id: string): Promise<void>;
  /** Registrations that have not lapsed, least loaded (relative to capacity) first. */
  liveServers(): Promise<LiveServer[]>;
  /**
   * Picks the live server with the lowest load relative to its capacity among those with room
   * (ties: the lower id) and counts one more instance on it, atomically, so that concurrent
   * allocations spread over the servers. Null when no live server has room. The server's next
   * heartbeat replaces the count with its own.
   */
  allocateServer(): Promise<LiveServer | null>;
  /**
   * Removes the registrations that have lapsed and returns them, each to exactly one caller (which
   * then ends their instances). Atomic.
   */
  takeLapsedServers(): Promise<ServerRegistration[]>;
  close(): Promise<void>;
}

/**
 * A shared store cannot be reached (Redis down, restarting, or too slow). The call may or may not
 * have taken effect; the HTTP layer answers 503 `STORE_UNAVAILABLE` and clients retry.
 */
/** Throws a TypeError for a registration no store should keep (the stores call it first). */
export function checkRegistration(server: ServerRegistration, ttlMs: number): void {
  if (typeof server.id !== 'string' || server.id === '') throw new TypeError('a server registration needs an id');
  if (typeof server.address !== 'string' || server.address === '') {
    throw new TypeError('a server registration needs an address (host:port)');
  }
  if (!Number.isSafeInteger(server.capacity) || server.capacity < 1) {
    throw new TypeError(`a server's capacity is a whole number from 1, not ${server.capacity}`);
  }
  if (!Number.isSafeInteger(server.load) || server.load < 0) {
    throw new TypeError(`a server's load is a whole number from 0, not ${server.load}`);
  }
  if (!Number.isFinite(ttlMs) || ttlMs <= 0)
    throw new TypeError(`a registration's ttlMs must be positive, not ${ttlMs}`);
}

/** Least loaded relative to capacity first; ties by id, as the Redis store's allocation script breaks them. */
export function compareLoad(a: ServerRegistration, b: ServerRegistration): number {
  return a.load / a.capacity - b.load / b.capacity || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly code = 'STORE_UNAVAILABLE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
