/**
 * The instance server (PROTOCOL.md §2): Primus sockets at /primus, the instanceReady / auth-polling
 * handshake, seats taken and freed by sockets, presence, action routing and the action cache,
 * `[]` heartbeats, peers held for a resume when their socket drops (PROTOCOL.md §4), and ending
 * instances nobody uses.
 */
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import {
  type Action,
  ActionFrame,
  ActionType,
  AuthMessage,
  CloseReason,
  type HandshakeStatus,
  HEARTBEAT_INTERVAL_MS,
  LeaveMessage,
  Limits,
  parseWire,
  SocketQuery,
  type User,
} from '../../protocol/index.js';
import type { TokenService } from '../auth/token-service.js';
import { clientAddress } from '../http/client-address.js';
import type { RateLimiter } from '../http/rate-limiter.js';
import { ORIGIN_REFUSED_BODY, ORIGIN_REFUSED_UPGRADE_ANSWER } from '../http/raw-answers.js';
import { sendJson } from '../http/router.js';
import type { Logger } from '../logger.js';
import { mayEnter } from '../provisioning/access.js';
import type { InstanceLifecycle } from '../provisioning/provisioner.js';
import type { SfuEngine } from '../sfu/engine.js';
import type { InstanceRecord, Store } from '../store/store.js';
import { ActionCache } from './action-cache.js';
import { IdleReaper } from './idle-reaper.js';
import { isMediaAction, MediaSignaling } from './media-signaling.js';
import { PeerSession } from './peer-session.js';
import { PRIMUS_OPTIONS } from './primus-options.js';
import { createPrimusServer, type PrimusServer, type Spark } from './primus-server.js';
import { RoomMember } from './room-member.js';

export interface InstanceHostOptions {
  store: Store;
  tokens: TokenService;
  log: Logger;
  heartbeatTimeoutMs: number;
  instanceGraceMs: number;
  /** How long a peer whose socket dropped is held for a resume; 0 announces PEER_LEFT at once. */
  resumeGraceMs: number;
  /** The SFU media engine; without it SFU instances offer no codecs and media actions are ignored. */
  sfu?: SfuEngine;
  /** Counts wrong invite codes per address; past its limit invite codes are not read. */
  guesses?: RateLimiter;
  /** Client addresses from `X-Forwarded-For` (see ServerOptions.trustProxy). */
  trustProxy?: boolean;
  /** Upgrades it refuses get 403 before Primus takes them (browser origins, `--cors-origin`). */
  allowUpgrade?: (req: IncomingMessage) => boolean;
}

/** What an instance needs while it has sockets: who is in it and what late joiners replay. */
interface Room {
  record: InstanceRecord;
  /** Joined peers by peerID, held ones included. */
  peers: Map<string, RoomMember>;
  nextPeerIndex: number;
  cache: ActionCache;
  unknownHostTypes: Set<string>;
}

/** What P2P instances (and a host without an SFU) put in the handshake. */
const EMPTY_RTP_CAPABILITIES = { codecs: [], headerExtensions: [] };

/** Frames up to this size reach our own check, which closes with a reason; bigger ones ws cuts off. */
const TRANSPORT_MAX_PAYLOAD = Limits.maxFrameBytes * 8;

export class InstanceHost implements InstanceLifecycle {
  readonly #o: InstanceHostOptions;
  readonly #log: Logger;
  readonly #sessions = new Set<PeerSession>();
  /** joiningUser's callers, by instance and peerID. */
  readonly #joinWaiters = new Map<string, Set<(user: string | null) => void>>();
  readonly #rooms = new Map<string, Room>();
  readonly #reaper: IdleReaper;
  readonly #media: MediaSignaling | null;
  #primus: PrimusServer | null = null;
  #ticker: NodeJS.Timeout | null = null;
  #closing = false;

  constructor(options: InstanceHostOptions) {
    this.#o = options;
    this.#log = options.log.child({ part: 'instance' });
    this.#media = options.sfu ? new MediaSignaling(options.sfu, options.log.child({ part: 'sfu' })) : null;
    this.#reaper = new IdleReaper({
      store: options.store,
      graceMs: options.instanceGraceMs,
      log: this.#log,
      peersIn: (id) => this.peersIn(id),
      end: (id) => this.#endInstance(id),
    });
  }

  attach(server: HttpServer): void {
    const primus = createPrimusServer(server, {
      ...PRIMUS_OPTIONS,
      transport: { maxPayload: TRANSPORT_MAX_PAYLOAD },
    });
    const allowUpgrade = this.#o.allowUpgrade;
    if (allowUpgrade) {
      // In place of Primus' own authorization layer, whose refusals have a body of its own making.
      primus.use('authorization', (req, res, next) => {
        if (allowUpgrade(req)) next();
        else if ('setHeader' in res) sendJson(res, 403, ORIGIN_REFUSED_BODY);
        else res.end(ORIGIN_REFUSED_UPGRADE_ANSWER);
      });
    }
    primus.on('connection', (spark) => this.#guard('connection', () => this.#onConnection(spark)));
    primus.on('error', (error) => this.#log.warn({ err: error }, 'primus error'));
    this.#primus = primus;
    const tick = Math.max(20, Math.min(250, Math.floor(this.#o.heartbeatTimeoutMs / 4)));
    this.#ticker = setInterval(() => this.#guard('tick', () => this.#tick()), tick);
    this.#ticker.unref();
  }

  /** Joined peers, held ones included. */
  get peerCount(): number {
    let count = 0;
    for (const room of this.#rooms.values()) count += room.peers.size;
    return count;
  }

  /** Peers whose socket dropped, held for a resume. */
  get heldPeerCount(): number {
    let count = 0;
    for (const room of this.#rooms.values()) for (const member of room.peers.values()) if (member.held) count++;
    return count;
  }

  /** Joined peers of an instance (held ones included), as this process sees them. */
  peersIn(instanceId: string): number {
    return this.#rooms.get(instanceId)?.peers.size ?? 0;
  }

  /** The user of the peer joined as `peerID` in an instance, as this process sees it; null when none. */
  joinedUser(instanceId: string, peerID: string): string | null {
    return this.#rooms.get(instanceId)?.peers.get(peerID)?.user.id ?? null;
  }

  /**
   * As joinedUser, but a peer whose socket is still in its handshake is waited for (up to
   * `withinMs`): a P2P client opens PeerJS while it authenticates. Null when it never joins.
   */
  async joiningUser(instanceId: string, peerID: string, withinMs: number): Promise<string | null> {
    const joined = this.joinedUser(instanceId, peerID);
    if (joined !== null || !this.#handshaking(instanceId, peerID)) return joined;
    const key = joinKey(instanceId, peerID);
    return new Promise<string | null>((resolve) => {
      const waiters = this.#joinWaiters.get(key) ?? new Set();
      this.#joinWaiters.set(key, waiters);
      const settle = (user: string | null) => {
        clearTimeout(timer);
        waiters.delete(settle);
        if (waiters.size === 0 && this.#joinWaiters.get(key) === waiters) this.#joinWaiters.delete(key);
        resolve(user);
      };
      const timer = setTimeout(() => settle(null), withinMs);
      waiters.add(settle);
    });
  }

  /** A socket of this peerID in this instance is open and has not joined yet. */
  #handshaking(instanceId: string, peerID: string): boolean {
    for (const session of this.#sessions) {
      if (session.phase === 'joined' || session.phase === 'closed') continue;
      if (session.query?.instanceID === instanceId && session.query.peerID === peerID) return true;
    }
    return false;
  }

  /** Tells those waiting in joiningUser: the user once joined, null once no handshake is left. */
  #settleJoinWaiters(instanceId: string, peerID: string): void {
    const waiters = this.#joinWaiters.get(joinKey(instanceId, peerID));
    if (!waiters) return;
    const user = this.joinedUser(instanceId, peerID);
    if (user === null && this.#handshaking(instanceId, peerID)) return;
    for (const settle of [...waiters]) settle(user);
  }

  /**
   * Instances allocated to this server (its heartbeat lists them): one made by another process is
   * ended here when nobody comes, as if this process had made it.
   */
  watch(instanceIds: Iterable<string>): void {
    if (this.#closing) return;
    for (const id of instanceIds) if (!this.#rooms.has(id)) this.#reaper.watch(id);
  }

  seatReserved(instanceId: string, until?: number): void {
    if (until === undefined) this.#reaper.schedule(instanceId);
    else this.#reaper.reservedUntil(instanceId, until);
  }

  /**
   * Closes the sockets in an instance of a peer (by peerID) or of a user with KICKED; the PEER_LEFT
   * and the freed seat follow as for any departure. Returns how many joined peers were closed and
   * their user ids.
   */
  kick(instanceId: string, who: { peerId?: string; userId?: string }): { peers: number; users: string[] } {
    const users = new Set<string>();
    let peers = 0;
    const room = this.#rooms.get(instanceId);
    for (const member of [...(room?.peers.values() ?? [])]) {
      if (!member.held) continue;
      if (member.peerId !== who.peerId && member.user.id !== who.userId) continue;
      peers++;
      users.add(member.user.id);
      this.#depart(room!, member);
    }
    for (const session of [...this.#sessions]) {
      if (session.instance?.id !== instanceId && session.query?.instanceID !== instanceId) continue;
      const byPeer = who.peerId !== undefined && session.peerId === who.peerId;
      const byUser = who.userId !== undefined && session.user?.id === who.userId;
      if (!byPeer && !byUser) continue;
      if (session.phase === 'joined') peers++;
      if (session.user) users.add(session.user.id);
      session.close(CloseReason.KICKED, 'removed from the instance by an admin');
    }
    return { peers, users: [...users] };
  }

  /**
   * A leave sent out of band (a beacon from a page going away): the peer departs now if it is this
   * user's, whether held or still on its socket. False when there was no such peer.
   */
  leave(instanceId: string, peerId: string, userId: string): boolean {
    const room = this.#rooms.get(instanceId);
    const member = room?.peers.get(peerId);
    if (!room || !member || member.gone || member.user.id !== userId) return false;
    const socket = member.socket;
    if (socket) {
      socket.leaving = true;
      socket.spark.end();
    } else {
      this.#depart(room, member);
    }
    return true;
  }

  /** Closes every socket with SERVER_SHUTDOWN and stops Primus (the HTTP server is closed by its owner). */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#ticker) clearInterval(this.#ticker);
    this.#reaper.close();
    for (const room of this.#rooms.values()) for (const member of room.peers.values()) member.release();
    this.#media?.close();
    for (const session of [...this.#sessions])
      session.close(CloseReason.SERVER_SHUTDOWN, 'the server is shutting down');
    const primus = this.#primus;
    this.#primus = null;
    if (primus) await new Promise<void>((resolve) => primus.destroy({ close: false, timeout: 0 }, () => resolve()));
  }

  #onConnection(spark: Spark): void {
    const session = new PeerSession(spark);
    if (this.#closing) {
      session.close(CloseReason.SERVER_SHUTDOWN, 'the server is shutting down');
      return;
    }
    this.#sessions.add(session);
    spark.on('data', (data, raw) => this.#guard('data', () => this.#onData(session, data, raw)));
    // Primus reports undecodable frames (not JSON) as errors on the spark.
    spark.on('error', (error) => this.#protocolError(session, `unreadable frame: ${error.message}`));
    spark.on('end', () => this.#guard('end', () => this.#onEnd(session)));

    const query = parseWire(SocketQuery, { ...spark.query });
    if (!query.ok) {
      this.#protocolError(session, `bad socket query: ${query.message}`);
      return;
    }
    session.query = query.value;
    session.address = clientAddress(spark.request, this.#o.trustProxy ?? false);
    void this.#openInstance(session);
  }

  /** True when the session's address has used up its missed guesses: its invite codes are not read. */
  #guessedTooOften(session: PeerSession): boolean {
    try {
      this.#o.guesses?.assertUnder(session.address, Date.now(), 1);
      return false;
    } catch {
      return true;
    }
  }

  async #openInstance(session: PeerSession): Promise<void> {
    const query = session.query!;
    try {
      const instance = await this.#o.store.getInstance(query.instanceID);
      if (!session.open) return;
      const matches =
        instance !== null &&
        (instance.kind === 'world'
          ? query.locationId !== undefined && query.locationId === instance.locationId
          : query.channelId !== undefined && query.channelId === instance.channelId);
      if (!instance || !matches) {
        // Not a miss: instance ids are UUIDs, and after a restart every client comes back with one.
        this.#log.debug({ instanceId: query.instanceID }, 'socket for an unknown instance');
        session.refuseInstance();
        return;
      }
      session.instance = instance;
      session.phase = 'authenticating';
      session.write({ instanceReady: true });
    } catch (error) {
      this.#log.error({ err: error }, 'instance lookup failed');
      session.fail('INTERNAL_ERROR');
    }
  }

  #onData(session: PeerSession, data: unknown, raw: unknown): void {
    if (!session.open) return;
    session.lastHeard = Date.now();
    if (typeof raw === 'string' && Buffer.byteLength(raw) > Limits.maxFrameBytes) {
      this.#protocolError(session, `frame is larger than ${Limits.maxFrameBytes} bytes`);
      return;
    }
    if (!Array.isArray(data) && parseWire(LeaveMessage, data).ok) {
      // Before the handshake's end too: a client that gave up while its answer was on the way.
      session.leaving = true;
      return;
    }
    if (session.phase === 'joined') {
      if (Array.isArray(data)) this.#onActions(session, data);
      // The client polls its auth message every 100 ms; one may cross our success answer.
      else if (!isAuthLike(data)) this.#protocolError(session, 'frames after the handshake are arrays of actions');
      return;
    }
    // Before the handshake an empty `[]` is a harmless early heartbeat; anything else but the auth message is not.
    if (Array.isArray(data) && data.length === 0) return;
    if (!isAuthLike(data)) {
      this.#protocolError(session, 'the first frame must be the auth message');
      return;
    }
    if (typeof data.accessToken !== 'string' || data.accessToken === '') {
      session.fail('MISSING_ACCESS_TOKEN');
      return;
    }
    const auth = parseWire(AuthMessage, data);
    if (!auth.ok) {
      this.#protocolError(session, `bad auth message: ${auth.message}`);
      return;
    }
    if (auth.value.peerID !== session.peerId) {
      this.#protocolError(session, 'the auth message names another peerID than the socket');
      return;
    }
    session.write({ status: 'pending' } satisfies HandshakeStatus);
    if (session.phase !== 'authenticating' || session.authStarted) return;
    session.authStarted = true;
    void this.#authenticate(session, auth.value);
  }

  async #authenticate(session: PeerSession, auth: AuthMessage): Promise<void> {
    const { store, tokens } = this.#o;
    const query = session.query!;
    const instanceId = query.instanceID;
    let claimed = false;
    try {
      const check = await tokens.verify(auth.accessToken);
      if (!session.open) return;
      if (!check.ok) {
        session.fail(check.reason === 'missing' ? 'MISSING_ACCESS_TOKEN' : 'USER_NOT_AUTHORIZED');
        return;
      }
      const user = check.user;
      const instance = await store.getInstance(instanceId);
      if (!session.open) return;
      if (!instance) {
        session.close(CloseReason.INSTANCE_ENDED, 'the instance has ended');
        return;
      }
      if ((await store.kickedUntil(instance.id, { peerId: session.peerId, userId: user.id })) !== null) {
        session.fail('USER_NOT_AUTHORIZED');
        return;
      }
      const inviteCode = auth.inviteCode ?? query.roomCode;
      const invited = inviteCode !== undefined && inviteCode === instance.roomCode && !this.#guessedTooOften(session);
      if (instance.private && invited) {
        await store.authorizeUser(instance.id, user.id);
      } else if (!(await mayEnter(store, instance, user.id))) {
        if (instance.private && inviteCode !== undefined) this.#o.guesses?.record(session.address);
        session.fail('USER_NOT_AUTHORIZED');
        return;
      }
      if (auth.resume) {
        this.#resume(session, instance, user);
        return;
      }
      const claim = await store.claimSeat(instance.id, session.peerId, user.id, instance.capacity);
      claimed = claim === 'claimed';
      if (!session.open) {
        if (claimed && !this.#peerHasOtherSession(instanceId, session.peerId, session)) {
          await store.releaseSeat(instanceId, session.peerId);
          this.#reaper.schedule(instanceId);
        }
        return;
      }
      if (claim === 'full') {
        session.fail('INSTANCE_FULL');
        return;
      }
      if (claim === 'ended') {
        session.close(CloseReason.INSTANCE_ENDED, 'the instance has ended');
        return;
      }
      this.#join(session, instance, user);
    } catch (error) {
      this.#log.error({ err: error, instanceId }, 'handshake failed');
      if (claimed) await store.releaseSeat(instanceId, session.peerId).catch(() => undefined);
      session.fail('INTERNAL_ERROR');
    }
  }

  #join(session: PeerSession, instance: InstanceRecord, user: User): void {
    const room = this.#room(instance);
    this.#reaper.cancel(instance.id);
    const previous = room.peers.get(session.peerId);
    if (previous && previous.user.id !== user.id) {
      // A peerID is one tab's: another user naming it is taking no one's place.
      session.fail('USER_NOT_AUTHORIZED');
      return;
    }
    if (previous) {
      // A fresh join with the same peerID (a full reconnect): it inherits the seat, and what the old
      // socket made goes with it.
      previous.gone = true;
      previous.release();
      this.#media?.peerGone(previous);
      room.peers.delete(session.peerId);
      room.cache.removePeer(session.peerId);
      this.#replaceSocket(previous.socket, session);
    }
    const member = new RoomMember(session.peerId, user, room.nextPeerIndex++, session);
    room.peers.set(member.peerId, member);
    this.#attach(session, room, member, false);
    const joined = this.#hostAction(room, {
      type: ActionType.PEER_JOINED,
      peerID: member.peerId,
      peerIndex: member.peerIndex,
      userID: user.id,
      name: user.name,
      ...(user.avatarUrl ? { avatarUrl: user.avatarUrl } : {}),
      $cache: true,
    });
    room.cache.add(joined);
    this.#broadcast(room, [joined], member);
    this.#log.info({ instanceId: instance.id, peerID: member.peerId, peerIndex: member.peerIndex }, 'peer joined');
  }

  /**
   * A `resume`: the socket takes over the peer this peerID and user left in the instance, with its
   * peerIndex, seat, transports and producers; the others see nothing. The success carries the
   * whole cache (so the client can reconcile what it missed), then what was written while held.
   */
  #resume(session: PeerSession, instance: InstanceRecord, user: User): void {
    const room = this.#rooms.get(instance.id);
    const member = room?.peers.get(session.peerId);
    if (!room || !member || member.gone || member.user.id !== user.id || this.#o.resumeGraceMs <= 0) {
      session.fail('NOT_RESUMABLE');
      return;
    }
    const old = member.socket;
    // The member moves to the new socket first, so the old one's end is not taken for its departure.
    const missed = member.resume(session);
    this.#replaceSocket(old, session);
    this.#attach(session, room, member, true);
    for (const frame of missed) session.write(frame);
    this.#log.info({ instanceId: instance.id, peerID: member.peerId, missed: missed.length }, 'peer resumed');
  }

  /** The older socket of the same peer, if any: it goes, and its end is no departure. */
  #replaceSocket(old: PeerSession | null, by: PeerSession): void {
    if (!old || old === by) return;
    old.replaced = true;
    old.close(CloseReason.REPLACED, 'a newer socket with the same peerID joined');
  }

  /** The socket now speaks for `member`: the handshake's success goes out. */
  #attach(session: PeerSession, room: Room, member: RoomMember, resumed: boolean): void {
    session.phase = 'joined';
    session.user = member.user;
    session.member = member;
    session.lastHeartbeatSent = Date.now();
    const instance = room.record;
    session.write({
      status: 'success',
      routerRtpCapabilities: this.#media && !instance.p2p ? this.#media.routerRtpCapabilities : EMPTY_RTP_CAPABILITIES,
      peerIndex: member.peerIndex,
      cachedActions: room.cache.list(),
      hostPeerID: instance.hostPeerId,
      ...(this.#o.resumeGraceMs > 0 ? { resumeGraceMs: this.#o.resumeGraceMs } : {}),
      ...(resumed ? { resumed } : {}),
    } satisfies HandshakeStatus);
    this.#settleJoinWaiters(instance.id, member.peerId);
  }

  #onActions(session: PeerSession, data: unknown[]): void {
    const frame = parseWire(ActionFrame, data);
    if (!frame.ok) {
      this.#protocolError(session, `bad action frame: ${frame.message}`);
      return;
    }
    if (frame.value.length === 0) return;
    const room = this.#rooms.get(session.instance!.id);
    const member = session.member;
    if (!room || !member || member.socket !== session) return;
    const outgoing = new Map<RoomMember, Action[]>();
    const now = Date.now();
    for (const action of frame.value) {
      if (action.type === ActionType.PEER_JOINED || action.type === ActionType.PEER_LEFT) {
        this.#debugOnce(room, action.type, 'presence actions come from the host only; dropped');
        continue;
      }
      // No one speaks for another peer: the sender is the socket, whatever the frame says.
      action.$peer = member.peerId;
      action.$network ??= room.record.id;
      action.$time ??= now;
      if (isMediaAction(action.type)) {
        if (!this.#media || room.record.p2p || this.#media.onAction(room, member, action) === 'consumed') continue;
      }
      const to = action.$to ?? 'all';
      if (action.$cache) room.cache.add(action);
      const targets = to === 'all' ? [...room.peers.keys()] : Array.isArray(to) ? to : [to];
      for (const target of targets) {
        if (target === room.record.hostPeerId) {
          this.#debugOnce(room, action.type, 'action to the host of a type it does not handle; ignored');
          continue;
        }
        const peer = room.peers.get(target);
        if (!peer || peer === member) continue;
        const list = outgoing.get(peer) ?? [];
        outgoing.set(peer, list);
        list.push(action);
      }
    }
    for (const [peer, actions] of outgoing) peer.write(actions);
  }

  #onEnd(session: PeerSession): void {
    const wasJoined = session.phase === 'joined';
    session.phase = 'closed';
    this.#sessions.delete(session);
    if (!wasJoined && session.query) this.#settleJoinWaiters(session.query.instanceID, session.query.peerID);
    const instanceId = session.instance?.id;
    if (instanceId === undefined) return;
    const room = this.#rooms.get(instanceId);
    const member = session.member;
    if (wasJoined && room && member && member.socket === session && !member.gone) {
      if (this.#holds(session)) {
        member.hold(this.#o.resumeGraceMs, () => this.#guard('hold', () => this.#depart(room, member)));
        this.#log.info({ instanceId, peerID: member.peerId }, 'socket dropped; peer held for a resume');
      } else {
        this.#depart(room, member);
      }
      return;
    }
    this.#releaseSeat(instanceId, session.peerId, session);
  }

  /** Whether a joined socket that ended leaves its peer held: it dropped, rather than left or was sent away. */
  #holds(session: PeerSession): boolean {
    if (this.#closing || this.#o.resumeGraceMs <= 0 || session.leaving) return false;
    return session.closedWith === null || session.closedWith === CloseReason.HEARTBEAT_TIMEOUT;
  }

  /** A peer leaves the instance: PEER_LEFT to the others, its media closed, its seat freed. */
  #depart(room: Room, member: RoomMember): void {
    if (member.gone) return;
    member.gone = true;
    member.release();
    const instanceId = room.record.id;
    if (room.peers.get(member.peerId) === member) {
      room.peers.delete(member.peerId);
      room.cache.removePeer(member.peerId);
    }
    this.#media?.peerGone(member);
    const left = this.#hostAction(room, { type: ActionType.PEER_LEFT, peerID: member.peerId, userID: member.user.id });
    this.#broadcast(room, [left], member);
    this.#log.info({ instanceId, peerID: member.peerId }, 'peer left');
    this.#releaseSeat(instanceId, member.peerId, member.socket);
  }

  /**
   * Frees a peer's seat, unless the peer is still in the room (joined or held) or another socket of
   * it is in its handshake (a reconnect).
   */
  #releaseSeat(instanceId: string, peerId: string, except: PeerSession | null): void {
    if (this.#closing || this.#rooms.get(instanceId)?.peers.has(peerId)) return;
    if (this.#peerHasOtherSession(instanceId, peerId, except)) return;
    this.#o.store
      .releaseSeat(instanceId, peerId)
      .then(() => this.#reaper.schedule(instanceId))
      .catch((error: unknown) => this.#log.error({ err: error, instanceId }, 'releasing a seat failed'));
  }

  #tick(): void {
    const now = Date.now();
    for (const session of this.#sessions) {
      if (now - session.lastHeard > this.#o.heartbeatTimeoutMs) {
        this.#log.info({ peerID: session.peerId }, 'socket silent too long; dropped');
        session.close(CloseReason.HEARTBEAT_TIMEOUT, `nothing heard for ${this.#o.heartbeatTimeoutMs} ms`);
      } else if (session.phase === 'joined' && now - session.lastHeartbeatSent >= HEARTBEAT_INTERVAL_MS) {
        session.lastHeartbeatSent = now;
        session.write([]);
      }
    }
  }

  #peerHasOtherSession(instanceId: string, peerId: string, session: PeerSession | null): boolean {
    for (const other of this.#sessions) {
      if (other !== session && other.open && other.peerId === peerId && other.instance?.id === instanceId) {
        return true;
      }
    }
    return false;
  }

  /** The reaper found the instance unused past its grace period. */
  async #endInstance(instanceId: string): Promise<void> {
    for (const session of [...this.#sessions]) {
      if (session.instance?.id === instanceId) session.close(CloseReason.INSTANCE_ENDED, 'the instance has ended');
    }
    for (const member of this.#rooms.get(instanceId)?.peers.values() ?? []) {
      member.gone = true;
      member.release();
    }
    this.#rooms.delete(instanceId);
    this.#media?.roomEnded(instanceId);
    await this.#o.store.endInstance(instanceId);
    this.#log.info({ instanceId }, 'instance ended');
  }

  #room(instance: InstanceRecord): Room {
    let room = this.#rooms.get(instance.id);
    if (!room) {
      room = {
        record: instance,
        peers: new Map(),
        nextPeerIndex: 1,
        cache: new ActionCache(),
        unknownHostTypes: new Set(),
      };
      this.#rooms.set(instance.id, room);
    }
    return room;
  }

  /** An action the server sends as the instance's host. */
  #hostAction(room: Room, fields: Record<string, unknown> & { type: string }): Action {
    return {
      ...fields,
      $peer: room.record.hostPeerId,
      $to: 'all',
      $topic: room.record.kind === 'world' ? 'world' : 'media',
      $network: room.record.id,
      $time: Date.now(),
      $uuid: randomUUID(),
    };
  }

  #broadcast(room: Room, actions: Action[], except?: RoomMember): void {
    for (const peer of room.peers.values()) if (peer !== except) peer.write(actions);
  }

  #protocolError(session: PeerSession, message: string): void {
    if (!session.open) return;
    this.#log.info({ peerID: session.peerId || undefined, reason: message }, 'socket closed: protocol error');
    session.close(CloseReason.PROTOCOL_ERROR, message);
  }

  #debugOnce(room: Room, type: string, message: string): void {
    // Bounded, so a client inventing types cannot grow it without end.
    if (room.unknownHostTypes.has(type) || room.unknownHostTypes.size >= 256) return;
    room.unknownHostTypes.add(type);
    this.#log.debug({ instanceId: room.record.id, type: type.slice(0, 256) }, message);
  }

  /** A listener's exception is logged, never allowed to take the process down. */
  #guard(where: string, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.#log.error({ err: error, where }, 'instance socket handler failed');
    }
  }
}

function isAuthLike(data: unknown): data is Record<string, unknown> {
  return (
    typeof data === 'object' && data !== null && !Array.isArray(data) && ('accessToken' in data || 'peerID' in data)
  );
}

function joinKey(instanceId: string, peerID: string): string {
  return `${instanceId}\n${peerID}`;
}
