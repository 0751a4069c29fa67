/**
 * The Store in Redis (ioredis), shared by every process that points at the same Redis and key
 * prefix. Each check-then-write is one Lua script (redis-scripts.ts); reads are plain commands.
 * Times are the caller's clock, as in the memory store, so the processes' clocks must agree (NTP).
 */
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { parseRecord, parseServer } from './redis-records.js';
import { SCRIPTS, type ScriptName } from './redis-scripts.js';
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
  StoreUnavailableError,
} from './store.js';

export interface RedisStoreOptions {
  /** Every key starts with it; default 'ir-rooms:'. Processes sharing state use the same one. */
  prefix?: string;
  now?: () => number;
  log?: Logger;
  /** How long connect() waits for Redis; default 5000. */
  connectTimeoutMs?: number;
  /** A command without an answer after this fails with StoreUnavailableError; default 3000. */
  commandTimeoutMs?: number;
}

export const DEFAULT_REDIS_PREFIX = 'ir-rooms:';

/** The most a reconnect attempt waits after the previous one failed. */
const MAX_RECONNECT_DELAY_MS = 1000;

/** Replies Redis gives while it cannot serve yet (starting, failing over): the store is unavailable. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN)\b/;

type ScriptCaller = Record<ScriptName, (...args: string[]) => Promise<unknown>>;

export class RedisStore implements Store {
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #log: Logger | undefined;
  #reachable = true;
  #closed: Promise<void> | null = null;

  /**
   * Connects to `url` (redis:// or rediss://) and resolves once Redis answers; rejects with a
   * StoreUnavailableError naming the cause when it cannot be reached in time. Afterwards a lost
   * connection is re-established on its own; calls made meanwhile reject with StoreUnavailableError.
   */
  static async connect(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
    const where = describeUrl(url);
    const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    const client = new Redis(url, {
      lazyConnect: true,
      // Calls while Redis is away fail at once rather than queue up behind a dead connection,
      // and a script whose answer was lost is never sent twice.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 3000,
      connectTimeout: connectTimeoutMs,
      retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
      // How long a closing socket may linger; ioredis waits this long even for one that never opened.
      disconnectTimeout: 200,
    });
    let lastError: Error | null = null;
    const remember = (error: Error) => {
      lastError = error;
    };
    client.on('error', remember);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.connect(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${connectTimeoutMs} ms`)), connectTimeoutMs);
        }),
      ]);
    } catch (error) {
      client.disconnect();
      const cause = lastError ?? (error as Error);
      throw new StoreUnavailableError(`cannot reach Redis at ${where}: ${cause.message}`, { cause });
    } finally {
      clearTimeout(timer);
      client.off('error', remember);
    }
    return new RedisStore(client, where, options);
  }

  private constructor(client: Redis, where: string, options: RedisStoreOptions) {
    this.#client = client;
    this.#prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
    this.#now = options.now ?? Date.now;
    this.#log = options.log;
    for (const [name, script] of Object.entries(SCRIPTS)) client.defineCommand(name, script);
    // ioredis reconnects by itself; the log says when Redis went away and when it came back.
    client.on('error', (error: Error) => {
      if (!this.#reachable) return;
      this.#reachable = false;
      this.#log?.warn({ err: error, redis: where }, 'Redis unreachable; reconnecting');
    });
    client.on('ready', () => {
      if (this.#reachable) return;
      this.#reachable = true;
      this.#log?.info({ redis: where }, 'Redis reachable again');
    });
  }

  /** The key prefix (tests list what is left under it). */
  get prefix(): string {
    return this.#prefix;
  }

  async createInstance(record: InstanceRecord, reserveFor?: { userId: string; ttlMs: number }): Promise<CreateResult> {
    const { authorizedUsers, ...stored } = record;
    const channel = this.#channelKey(record.kind, record.channelId);
    const offered = isOffered(record);
    const keys = [
      this.#key('room-code', record.roomCode),
      channel,
      ...this.#instanceKeys(record.id),
      this.#offerKey(record.locationId ?? '', record.p2p),
    ];
    const reservation = reserveFor ? [reserveFor.userId, String(this.#now() + reserveFor.ttlMs)] : ['', '0'];
    const result = await this.#script('irCreateInstance', keys, [
      record.id,
      JSON.stringify(stored),
      ...reservation,
      offered ? '1' : '0',
      ...authorizedUsers,
    ]);
    if (result !== 'created' && result !== 'room-code-taken' && result !== 'channel-taken') {
      throw new Error(`unexpected answer of the createInstance script: ${String(result)}`);
    }
    return result;
  }

  async getInstance(id: string): Promise<InstanceRecord | null> {
    const [record] = await this.#records([id]);
    return record ?? null;
  }

  async listInstances(filter: { locationId?: string } = {}): Promise<InstanceRecord[]> {
    const ids = await this.#run('listInstances', (c) => c.smembers(this.#key('instances')));
    const records = await this.#records(ids);
    return records.filter((r) => filter.locationId === undefined || r.locationId === filter.locationId);
  }

  async findByRoomCode(roomCode: string): Promise<InstanceRecord | null> {
    return this.#recordAt(this.#key('room-code', roomCode));
  }

  async findMediaInstance(channelId: string): Promise<InstanceRecord | null> {
    return this.#recordAt(this.#channelKey('media', channelId));
  }

  async findWorldInstanceByChannel(channelId: string): Promise<InstanceRecord | null> {
    return this.#recordAt(this.#channelKey('world', channelId));
  }

  async authorizeUser(instanceId: string, userId: string): Promise<void> {
    await this.#script(
      'irAuthorizeUser',
      [this.#key('record', instanceId), this.#key('authorized', instanceId)],
      [userId],
    );
  }

  async reserveSeat(instanceId: string, userId: string, capacity: number, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    const result = await this.#script('irReserveSeat', this.#seatKeys(instanceId), [
      userId,
      String(capacity),
      String(now),
      String(now + ttlMs),
    ]);
    return result === 1;
  }

  async reserveInFullest(
    locationId: string,
    userId: string,
    p2p: boolean,
    ttlMs: number,
  ): Promise<InstanceRecord | null> {
    const now = this.#now();
    const result = await this.#script(
      'irReserveInFullest',
      [this.#offerKey(locationId, p2p)],
      [this.#prefix, userId, String(now), String(now + ttlMs)],
    );
    if (!Array.isArray(result) || typeof result[0] !== 'string') return null;
    const [json, ...authorizedUsers] = result as string[];
    const record = parseRecord(json as string, 'reserved in by location');
    return { ...record, authorizedUsers };
  }

  async claimSeat(instanceId: string, peerId: string, userId: string, capacity: number): Promise<ClaimResult> {
    const result = await this.#script('irClaimSeat', this.#seatKeys(instanceId), [
      peerId,
      userId,
      String(capacity),
      String(this.#now()),
    ]);
    if (result !== 'claimed' && result !== 'full' && result !== 'ended') {
      throw new Error(`unexpected answer of the claimSeat script: ${String(result)}`);
    }
    return result;
  }

  async releaseSeat(instanceId: string, peerId: string): Promise<void> {
    await this.#run('releaseSeat', (c) => c.hdel(this.#key('seats', instanceId), peerId));
  }

  async seatedPeers(instanceId: string): Promise<{ peerId: string; userId: string }[]> {
    const seats = await this.#run('seatedPeers', (c) => c.hgetall(this.#key('seats', instanceId)));
    return Object.entries(seats).map(([peerId, userId]) => ({ peerId, userId }));
  }

  async seatCounts(instanceId: string): Promise<SeatCounts> {
    const result = await this.#script(
      'irSeatCounts',
      [this.#key('seats', instanceId), this.#key('reservations', instanceId)],
      [String(this.#now())],
    );
    const [peers, reservations, last] = Array.isArray(result) ? result : [];
    return {
      peers: Number(peers ?? 0),
      reservations: Number(reservations ?? 0),
      reservationsExpireAt: last === '' || last === undefined || last === null ? null : Number(last),
    };
  }

  async addKick(instanceId: string, kick: Kick): Promise<void> {
    const members = kickMembers(kick);
    if (members.length === 0) return;
    await this.#script(
      'irAddKick',
      [this.#key('record', instanceId), this.#key('kicks', instanceId)],
      [String(this.#now()), String(kick.until), ...members],
    );
  }

  async kickedUntil(instanceId: string, who: { peerId?: string; userId?: string }): Promise<number | null> {
    const members = kickMembers(who);
    if (members.length === 0) return null;
    const scores = await this.#run('kickedUntil', (c) => c.zmscore(this.#key('kicks', instanceId), ...members));
    const now = this.#now();
    let until: number | null = null;
    for (const score of scores) {
      const value = score === null ? Number.NaN : Number(score);
      if (value > now && (until === null || value > until)) until = value;
    }
    return until;
  }

  async endInstance(instanceId: string): Promise<void> {
    const record = await this.getInstance(instanceId);
    // Without a record there is no room code or channel to free; what else is left goes anyway,
    // and an id left in an offer index goes at the next reserveInFullest there.
    const roomCode = record ? this.#key('room-code', record.roomCode) : this.#key('room-code', '');
    const channel = record ? this.#channelKey(record.kind, record.channelId) : this.#channelKey('world', '');
    const offers = record ? this.#offerKey(record.locationId ?? '', record.p2p) : this.#offerKey('', false);
    await this.#script(
      'irEndInstance',
      [
        this.#key('record', instanceId),
        this.#key('instances'),
        this.#key('authorized', instanceId),
        this.#key('seats', instanceId),
        this.#key('reservations', instanceId),
        this.#key('kicks', instanceId),
        roomCode,
        channel,
        offers,
      ],
      [instanceId],
    );
  }

  async registerServer(server: ServerRegistration, ttlMs: number): Promise<void> {
    checkRegistration(server, ttlMs);
    const { id, address, capacity, load } = server;
    const expiresAt = this.#now() + ttlMs;
    await this.#run('registerServer', (c) =>
      c
        .multi()
        .hset(this.#key('servers'), id, JSON.stringify({ id, address, capacity, load }))
        .zadd(this.#key('server-expiries'), expiresAt, id)
        .exec(),
    );
  }

  async unregisterServer(id: string): Promise<void> {
    await this.#run('unregisterServer', (c) =>
      c.multi().hdel(this.#key('servers'), id).zrem(this.#key('server-expiries'), id).exec(),
    );
  }

  async liveServers(): Promise<LiveServer[]> {
    const now = this.#now();
    const live = await this.#run('liveServers', (c) =>
      c.zrangebyscore(this.#key('server-expiries'), `(${now}`, '+inf', 'WITHSCORES'),
    );
    if (live.length === 0) return [];
    const ids = live.filter((_, i) => i % 2 === 0);
    const registrations = await this.#run('liveServers', (c) => c.hmget(this.#key('servers'), ...ids));
    const servers: LiveServer[] = [];
    registrations.forEach((json, i) => {
      if (json !== null) servers.push({ ...parseServer(json), expiresAt: Number(live[2 * i + 1]) });
    });
    return servers.sort(compareLoad);
  }

  async allocateServer(): Promise<LiveServer | null> {
    const result = await this.#script(
      'irAllocateServer',
      [this.#key('servers'), this.#key('server-expiries')],
      [String(this.#now())],
    );
    if (!Array.isArray(result)) return null;
    const [json, expiresAt] = result as [string, string];
    return { ...parseServer(json), expiresAt: Number(expiresAt) };
  }

  async takeLapsedServers(): Promise<ServerRegistration[]> {
    const result = await this.#script(
      'irTakeLapsedServers',
      [this.#key('servers'), this.#key('server-expiries')],
      [String(this.#now())],
    );
    return (result as string[]).map((json) => parseServer(json));
  }

  /** Quits the connection (waiting for answers in flight); safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      try {
        if (this.#client.status === 'ready') await this.#client.quit();
      } catch {
        // Redis went away while quitting: nothing is left to close but the socket.
      }
      this.#client.disconnect();
    })();
    return this.#closed;
  }

  /** Keys of one kind put the kind first, so no id (ids may contain ':') reaches another kind's key. */
  #key(kind: string, id?: string): string {
    return id === undefined ? `${this.#prefix}${kind}` : `${this.#prefix}${kind}:${id}`;
  }

  #channelKey(kind: InstanceRecord['kind'], channelId: string): string {
    return this.#key(`channel-${kind}`, channelId);
  }

  /**
   * The offer index: the ids of the public world instances of a location with one topology, the
   * only ones reserveInFullest looks at, so a join reads its location's instances and no others.
   */
  #offerKey(locationId: string, p2p: boolean): string {
    return this.#key(p2p ? 'offers-p2p' : 'offers-sfu', locationId);
  }

  /** Record, instance set, authorized, reservations, seats, kicks: the order createInstance's script wants. */
  #instanceKeys(id: string): string[] {
    return [
      this.#key('record', id),
      this.#key('instances'),
      this.#key('authorized', id),
      this.#key('reservations', id),
      this.#key('seats', id),
      this.#key('kicks', id),
    ];
  }

  #seatKeys(id: string): string[] {
    return [this.#key('record', id), this.#key('seats', id), this.#key('reservations', id)];
  }

  async #recordAt(indexKey: string): Promise<InstanceRecord | null> {
    const id = await this.#run('lookup', (c) => c.get(indexKey));
    return id === null ? null : this.getInstance(id);
  }

  /** Records of these ids, in order, leaving out those that ended meanwhile; one round trip. */
  async #records(ids: string[]): Promise<InstanceRecord[]> {
    if (ids.length === 0) return [];
    const replies = await this.#run('getInstance', (c) => {
      const pipeline = c.pipeline();
      for (const id of ids) pipeline.get(this.#key('record', id)).lrange(this.#key('authorized', id), 0, -1);
      return pipeline.exec();
    });
    const records: InstanceRecord[] = [];
    for (let i = 0; i < ids.length; i++) {
      const [recordError, json] = replies?.[2 * i] ?? [];
      const [usersError, users] = replies?.[2 * i + 1] ?? [];
      const error = recordError ?? usersError;
      if (error) throw this.#wrap('getInstance', error);
      if (typeof json !== 'string') continue;
      records.push({ ...parseRecord(json, ids[i]!), authorizedUsers: (users as string[] | undefined) ?? [] });
    }
    return records;
  }

  #script(name: ScriptName, keys: string[], args: string[]): Promise<unknown> {
    return this.#run(name, (c) => (c as unknown as ScriptCaller)[name](...keys, ...args));
  }

  async #run<T>(what: string, call: (client: Redis) => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreUnavailableError('the Redis store is closed');
    try {
      return await call(this.#client);
    } catch (error) {
      throw this.#wrap(what, error);
    }
  }

  /**
   * Lost connections, timeouts and "not ready" replies become StoreUnavailableError; other error
   * replies are bugs of ours (a script, a key of the wrong type) and stay as they are.
   */
  #wrap(what: string, error: unknown): Error {
    if (error instanceof StoreUnavailableError) return error;
    const err = error instanceof Error ? error : new Error(String(error));
    if (err.name === 'ReplyError' && !TRANSIENT_REPLY.test(err.message)) return err;
    return new StoreUnavailableError(`Redis is unavailable (${what}): ${err.message}`, { cause: err });
  }
}

/** What reserveInFullest may offer, as the memory store picks it: a public world instance. */
function isOffered(record: InstanceRecord): boolean {
  return record.kind === 'world' && !record.private && record.locationId !== null;
}

function kickMembers(who: { peerId?: string; userId?: string }): string[] {
  const members: string[] = [];
  if (who.peerId !== undefined) members.push(`p:${who.peerId}`);
  if (who.userId !== undefined) members.push(`u:${who.userId}`);
  return members;
}

/** The URL for logs and errors, without its password. */
function describeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('the Redis URL is not a URL (redis://host:port)');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(`the Redis URL must start with redis:// or rediss://, not ${parsed.protocol}//`);
  }
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}
