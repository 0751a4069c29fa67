/**
 * The instance-server socket (PROTOCOL.md §2): opens Primus, runs the `instanceReady` /
 * auth-polling handshake, keeps the `[]` heartbeat, and turns PEER_JOINED / PEER_LEFT into
 * presence, over the Primus wire (primus-wire.ts). When the socket drops and the server said it
 * holds dropped peers, it resumes: a new socket takes over the same peer, with its media untouched,
 * and presence is reconciled (PROTOCOL.md §4). What a resume cannot mend is the connection's.
 */
import { isPageHidden } from '../../core/abort.js';
import { IrError } from '../../core/errors.js';
import type { InstanceSpec, Peer } from '../../core/instance-spec.js';
import { createLogger } from '../../core/logger.js';
import {
  ActionFrame,
  ActionType,
  AUTH_RETRY_MS,
  type AuthMessage,
  CloseMessage,
  CloseReason,
  HandshakeStatus,
  type HandshakeSuccess,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TIMEOUT_MS,
  INSTANCE_READY_TIMEOUT_MS,
  InstanceReadyMessage,
  type LeaveMessage,
  type LeaveRequest,
  PeerJoined,
  PeerLeft,
  type ProvisionedInstance,
  parseWire,
  type Action as WireAction,
} from '../../protocol/index.js';
import type { CloseOptions, TransportClose, TransportContext, TransportHandle } from '../transport-adapter.js';
import { PrimusWire } from './primus-wire.js';

const log = createLogger('instance-socket');

/** The socket's timers; the defaults are the protocol's (PROTOCOL.md §2). */
export interface SocketTiming {
  /** How long the socket may take to open and say `instanceReady`. */
  readyTimeoutMs: number;
  /** How long the auth polling may stay pending. */
  authTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Silence from the server after which the link counts as dead. */
  silenceTimeoutMs: number;
}

export const defaultSocketTiming: SocketTiming = {
  readyTimeoutMs: INSTANCE_READY_TIMEOUT_MS + 3_000,
  authTimeoutMs: 10_000,
  heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
  silenceTimeoutMs: HEARTBEAT_TIMEOUT_MS,
};

/** What an adapter layers on the socket: it sees every action that is not presence. */
export interface SocketHooks {
  /**
   * An action other than PEER_JOINED / PEER_LEFT: the cached ones (`live` false) before
   * `connect()` resolves, then every live one. Payload fields are unchecked: validate them.
   */
  action?(action: WireAction, live: boolean): void;
  /**
   * The socket resumed after a drop: the instance's cached actions other than presence, to
   * reconcile with (what was missed while it was down then arrives as live actions).
   */
  resumed?(cachedActions: WireAction[]): void;
  /** The auth message went out: the server knows this peerID is joining (each try, resumes included). */
  authenticating?(): void;
}

/** The joined socket as an adapter uses it. */
export interface InstanceSocket extends TransportHandle {
  readonly instanceID: string;
  readonly hostPeerID: string;
  /** The SFU router's capabilities from the handshake (unchecked: the adapter validates them). */
  readonly routerRtpCapabilities: unknown;
  /** Whether the socket is joined (or resuming) and not ended. */
  readonly open: boolean;
  /**
   * Writes an action, filling the routing fields (`$to` the host unless given). While resuming it
   * waits for the new socket; dropped once the link has ended.
   */
  dispatch(action: { type: string; [field: string]: unknown }, to?: string | string[]): void;
}

/** Close reasons after which the instance is gone and must be provisioned again. */
const REPROVISION_REASONS = new Set<string>([CloseReason.INSTANCE_ENDED, CloseReason.SERVER_SHUTDOWN]);

/** Actions written while resuming wait for the new socket; past this many the resume is given up. */
const MAX_RESUME_QUEUE = 256;
/** Waits between resume tries: at once, then doubling to a cap, until the server's grace is over. */
const RESUME_FIRST_DELAY_MS = 250;
const RESUME_MAX_DELAY_MS = 2_000;

/**
 * Tries in a row that reached no server while the browser says it is online: the server is gone
 * (killed, moved), not the network, and waiting out its grace would only delay provisioning anew.
 */
const RESUME_UNREACHABLE_TRIES = 3;

/** A resume in progress: since when, which try, why, and the actions waiting for it. */
interface Resume {
  since: number;
  attempt: number;
  reason: string;
  queue: Record<string, unknown>[];
  /** Tries in a row whose socket heard nothing from the server. */
  unheard: number;
}

/** `http(s)://host:port/?query`; Primus adds its `/primus` path and turns http into ws. */
export function instanceSocketUrl(instance: ProvisionedInstance, spec: InstanceSpec, peerID: string, token: string) {
  const api = new URL(spec.apiUrl);
  const secure = api.protocol === 'https:';
  // P2P answers may have no address: the instance server then lives on the API's host.
  let host = instance.ipAddress ?? api.hostname;
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  const port = instance.port ?? (api.port ? Number(api.port) : secure ? 443 : 80);
  const query = new URLSearchParams({ peerID, instanceID: instance.id, token });
  if (spec.kind === 'media') query.set('channelId', spec.channelId ?? instance.channelId ?? '');
  else query.set('locationId', spec.locationId ?? '');
  if (spec.roomCode) query.set('roomCode', spec.roomCode);
  return `${secure ? 'https' : 'http'}://${host}:${port}/?${query}`;
}

function peerOf(joined: PeerJoined): Peer {
  const peer: Peer = {
    peerID: joined.peerID,
    userID: joined.userID,
    name: joined.name ?? 'Guest',
    peerIndex: joined.peerIndex,
  };
  if (joined.avatarUrl) peer.avatarUrl = joined.avatarUrl;
  return peer;
}

/** The error a server close reason stands for, when the link ended on purpose. */
function errorOfCloseReason(reason: string | undefined, message: string | undefined): IrError {
  const text = message ?? `the instance server closed the socket (${reason ?? 'no reason'})`;
  switch (reason) {
    case CloseReason.INSTANCE_ENDED:
    case CloseReason.SERVER_SHUTDOWN:
      return new IrError('INSTANCE_NOT_READY', text);
    case CloseReason.KICKED:
      return new IrError('FORBIDDEN', text, { retryable: false });
    case CloseReason.REPLACED:
      return new IrError('INVALID_STATE', text, { retryable: false });
    case CloseReason.PROTOCOL_ERROR:
      return new IrError('PROTOCOL_ERROR', text, { retryable: false });
    case CloseReason.HEARTBEAT_TIMEOUT:
      return new IrError('TIMEOUT', text);
    default:
      return new IrError('TRANSPORT_FAILED', text);
  }
}

/** The bare socket carries presence only; the adapters layer data and media on top. */
function unsupported(what: string): IrError {
  return new IrError('UNSUPPORTED', `this link carries presence only, no ${what}`, { retryable: false });
}

type Phase = 'ready' | 'auth' | 'open' | 'ended';

class InstanceSocketLink implements InstanceSocket {
  peerIndex = -1;
  hostPeerID = '';
  routerRtpCapabilities: unknown;
  readonly instanceID: string;

  #socket: PrimusWire | null = null;
  readonly #url: string;
  readonly #context: TransportContext;
  readonly #self: string;
  readonly #known = new Map<string, Peer>();
  #phase: Phase = 'ready';
  #closeReason: string | undefined;
  #closeMessage: string | undefined;
  #endError: IrError | undefined;
  #timers: ReturnType<typeof setTimeout>[] = [];
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #authPoll: ReturnType<typeof setInterval> | undefined;
  #silence: ReturnType<typeof setTimeout> | undefined;
  #settle: { resolve(handle: InstanceSocket): void; reject(error: unknown): void } | undefined;
  /** From the handshake: how long the server holds us after a drop (0: it does not). */
  #resumeGraceMs = 0;
  #resume: Resume | null = null;
  /** Listens for `online` while a resume waits for its next try. */
  #resumeWait: AbortController | undefined;
  /** The token the handshake sends: the context's, or a fresh one for a resume. */
  #token: string;

  readonly #timing: SocketTiming;
  readonly #hooks: SocketHooks;
  #sequence = 0;

  constructor(url: string, instanceID: string, context: TransportContext, timing: SocketTiming, hooks: SocketHooks) {
    this.instanceID = instanceID;
    this.#hooks = hooks;
    this.#timing = timing;
    this.#context = context;
    this.#self = context.peerID;
    this.#token = context.token;
    this.#url = url;
    // Events can only arrive after start(), which runs right after construction.
    this.#openWire();
  }

  /** A new socket; events of the ones before it are ignored. */
  #openWire(): void {
    const wire: PrimusWire = new PrimusWire(this.#url, {
      data: (data) => wire === this.#socket && this.#onData(data),
      end: () => wire === this.#socket && this.#onEnd(),
      error: (error) => log.debug('socket error', error),
    });
    this.#socket = wire;
    this.#closeReason = this.#closeMessage = this.#endError = undefined;
  }

  /** Closes the current socket without hearing its end. */
  #dropWire(): void {
    const wire = this.#socket;
    this.#socket = null;
    wire?.end();
  }

  /**
   * The other peers now: an adapter that resolves `connect()` a while after the handshake hands
   * the connection everyone there by then, not a stale list.
   */
  get peers(): Peer[] {
    return [...this.#known.values()];
  }

  get open(): boolean {
    return this.#phase === 'open' || this.#resume !== null;
  }

  dispatch(action: { type: string; [field: string]: unknown }, to?: string | string[]): void {
    if (!this.open) return;
    const routed = {
      ...action,
      $to: to ?? this.hostPeerID,
      $topic: this.#context.spec.kind === 'media' ? 'media' : 'world',
      $network: this.instanceID,
      $time: Date.now(),
      $uuid: `${this.#self}-${++this.#sequence}`,
    };
    const resume = this.#resume;
    if (!resume) {
      this.#socket?.write([routed]);
    } else if (resume.queue.length < MAX_RESUME_QUEUE) {
      resume.queue.push(routed);
    } else {
      this.#giveUpResume(
        new IrError('TRANSPORT_FAILED', `more than ${MAX_RESUME_QUEUE} actions waited for the resume`),
      );
    }
  }

  start(): Promise<InstanceSocket> {
    return new Promise<InstanceSocket>((resolve, reject) => {
      this.#settle = { resolve, reject };
      const { signal } = this.#context;
      if (signal.aborted) {
        this.#fail(signal.reason);
        return;
      }
      signal.addEventListener(
        'abort',
        () => {
          // Once the auth went out the server may have taken us in, its answer still on the way: leave.
          if (this.#phase === 'auth') this.#socket?.write({ leave: true } satisfies LeaveMessage);
          if (isPageHidden(signal.reason) && this.#phase !== 'ready') this.#leaveByBeacon();
          // Aborted after the join (the connection moved on): the link just closes.
          if (this.#settle) this.#fail(signal.reason);
          else this.close();
        },
        { once: true },
      );
      this.#timers.push(
        setTimeout(
          () =>
            this.#fail(
              new IrError('TIMEOUT', `the instance server did not get ready in ${this.#timing.readyTimeoutMs} ms`),
            ),
          this.#timing.readyTimeoutMs,
        ),
      );
    });
  }

  send(): Promise<void> {
    return Promise.reject(
      IrError.invalidState('data channels are not available yet: send() arrives with the media and data transports'),
    );
  }

  publish(): Promise<void> {
    return Promise.reject(unsupported('media'));
  }

  unpublish(): Promise<void> {
    return Promise.reject(unsupported('media'));
  }

  setPaused(): Promise<void> {
    return Promise.reject(unsupported('media'));
  }

  /**
   * Leaves: `{leave: true}` tells the server this is no drop to hold, then the socket closes. A
   * page going away may lose that last frame with its sockets, so it also sends the leave as a
   * beacon, which the browser delivers after the page is gone.
   */
  close(options: CloseOptions = {}): void {
    if (this.#phase === 'ended') return;
    if (this.#phase === 'open') this.#socket?.write({ leave: true } satisfies LeaveMessage);
    // A resuming link's peer is held by the server: only the beacon reaches it.
    if (options.unloading && (this.#phase === 'open' || this.#resume)) this.#leaveByBeacon();
    this.#phase = 'ended';
    this.#resume = null;
    this.#stopTimers();
    this.#dropWire();
  }

  #leaveByBeacon(): void {
    if (typeof navigator === 'undefined' || typeof navigator.sendBeacon !== 'function') return;
    const url = new URL(this.#url);
    url.pathname = `/api/instances/${encodeURIComponent(this.instanceID)}/leave`;
    url.search = '';
    const body: LeaveRequest = { peerID: this.#self, token: this.#token };
    // A string goes as text/plain: no CORS preflight, which a beacon could not wait for.
    navigator.sendBeacon(url, JSON.stringify(body));
  }

  #onData(data: unknown): void {
    if (this.#phase === 'ended') return;
    this.#armSilence();
    // A CloseMessage may come in any phase, right before the server ends the socket.
    if (data !== null && typeof data === 'object' && !Array.isArray(data) && 'closeReason' in data) {
      const parsed = parseWire(CloseMessage, data);
      if (parsed.ok) {
        this.#closeReason = parsed.value.closeReason;
        this.#closeMessage = parsed.value.message;
      }
      return;
    }
    switch (this.#phase) {
      case 'ready':
        this.#onReady(data);
        break;
      case 'auth':
        this.#onAuthAnswer(data);
        break;
      case 'open':
        this.#onFrame(data);
        break;
    }
  }

  #onReady(data: unknown): void {
    const parsed = parseWire(InstanceReadyMessage, data);
    if (!parsed.ok) {
      this.#fail(new IrError('PROTOCOL_ERROR', `unexpected first message: ${parsed.message}`, { retryable: false }));
      return;
    }
    if (!parsed.value.instanceReady) {
      this.#fail(new IrError('INSTANCE_NOT_READY', 'the instance server says the instance is not ready'));
      return;
    }
    this.#phase = 'auth';
    const auth: AuthMessage = { accessToken: this.#token, peerID: this.#self };
    if (this.#context.spec.roomCode) auth.inviteCode = this.#context.spec.roomCode;
    if (this.#resume) auth.resume = true;
    // iR Engine answers only once the user is looked up: poll until the status is no longer pending.
    this.#socket?.write(auth);
    this.#hooks.authenticating?.();
    this.#authPoll = setInterval(() => this.#socket?.write(auth), AUTH_RETRY_MS);
    this.#timers.push(
      setTimeout(
        () =>
          this.#fail(
            new IrError('TIMEOUT', `the instance server did not accept the peer in ${this.#timing.authTimeoutMs} ms`),
          ),
        this.#timing.authTimeoutMs,
      ),
    );
  }

  #onAuthAnswer(data: unknown): void {
    const parsed = parseWire(HandshakeStatus, data);
    if (!parsed.ok) {
      log.debug(`ignoring a message during the handshake: ${parsed.message}`);
      return;
    }
    const answer = parsed.value;
    if (answer.status === 'pending') return;
    if (answer.status === 'fail') {
      this.#fail(
        new IrError(answer.error, `the instance server refused the peer: ${answer.error}`, { retryable: false }),
      );
      return;
    }
    if (this.#resume) {
      this.#onResumed(answer);
      return;
    }
    this.#phase = 'open';
    this.#stopTimers();
    this.#resumeGraceMs = answer.resumeGraceMs ?? 0;
    this.peerIndex = answer.peerIndex;
    this.hostPeerID = answer.hostPeerID;
    this.routerRtpCapabilities = answer.routerRtpCapabilities;
    for (const action of answer.cachedActions) this.#onAction(action, false);
    this.#startHeartbeat();
    const settle = this.#settle;
    this.#settle = undefined;
    settle?.resolve(this);
  }

  #startHeartbeat(): void {
    this.#heartbeat = setInterval(() => this.#socket?.write([]), this.#timing.heartbeatIntervalMs);
    this.#armSilence();
  }

  // --- resuming --------------------------------------------------------------------------------

  /** Whether a drop can be mended by a resume: the server holds dropped peers, and this was a drop. */
  #mayResume(): boolean {
    const reason = this.#closeReason;
    return this.#resumeGraceMs > 0 && (reason === undefined || reason === CloseReason.HEARTBEAT_TIMEOUT);
  }

  #startResume(reason: string): void {
    this.#stopTimers();
    this.#resume = { since: Date.now(), attempt: 0, reason, queue: [], unheard: 0 };
    log.debug(`socket dropped (${reason}): resuming`);
    void this.#tryResume();
  }

  /**
   * One try: a fresh token when there is a provider, a new socket, the handshake with `resume`;
   * failures retry until the server's grace is over.
   */
  async #tryResume(): Promise<void> {
    const resume = this.#resume;
    if (!resume || this.#phase === 'ended') return;
    resume.attempt++;
    this.#context.callbacks.interrupted?.(resume.reason, resume.attempt);
    this.#phase = 'ready';
    if (this.#context.freshToken) {
      try {
        this.#token = await this.#context.freshToken();
      } catch (error) {
        if (this.#resume === resume)
          this.#giveUpResume(error instanceof IrError ? error : new IrError('UNAUTHORIZED', String(error)));
        return;
      }
      if (this.#resume !== resume) return;
    }
    this.#openWire();
    this.#timers.push(
      setTimeout(
        () => this.#resumeTryFailed(new IrError('TIMEOUT', 'the instance server did not answer the resume')),
        this.#timing.readyTimeoutMs,
      ),
    );
  }

  /** A try failed in a way another may mend (no answer, the socket dropped again). */
  #resumeTryFailed(error: IrError): void {
    const resume = this.#resume;
    if (!resume) return;
    this.#stopTimers();
    this.#dropWire();
    const waited = Date.now() - resume.since;
    const delay = Math.min(RESUME_MAX_DELAY_MS, RESUME_FIRST_DELAY_MS * 2 ** (resume.attempt - 1));
    resume.unheard = this.#phase === 'ready' ? resume.unheard + 1 : 0;
    const online = typeof navigator === 'undefined' || navigator.onLine !== false;
    if (waited + delay >= this.#resumeGraceMs || (online && resume.unheard >= RESUME_UNREACHABLE_TRIES)) {
      this.#giveUpResume(error);
      return;
    }
    this.#phase = 'ready';
    // The network coming back (`online`) cuts the wait short.
    const waiting = new AbortController();
    const next = () => {
      waiting.abort();
      void this.#tryResume();
    };
    this.#resumeWait = waiting;
    this.#timers.push(setTimeout(next, delay));
    if (typeof window !== 'undefined') window.addEventListener('online', next, { signal: waiting.signal });
  }

  /**
   * The server took us back: same peer, same media. Presence is reconciled with the cache (the
   * adapter reconciles the rest), then the actions written meanwhile go out.
   */
  #onResumed(answer: HandshakeSuccess): void {
    const resume = this.#resume;
    if (!answer.resumed || !resume) {
      // A server that ignored `resume` joined us afresh: leave that, and let the connection rejoin.
      this.#socket?.write({ leave: true } satisfies LeaveMessage);
      this.#giveUpResume(new IrError('PROTOCOL_ERROR', 'the instance server did not resume the peer'));
      return;
    }
    this.#phase = 'open';
    this.#resume = null;
    this.#stopTimers();
    this.peerIndex = answer.peerIndex;
    const callbacks = this.#context.callbacks;
    const present = new Map<string, Peer>();
    const others: WireAction[] = [];
    for (const action of answer.cachedActions) {
      if (action.type === ActionType.PEER_LEFT) continue;
      if (action.type !== ActionType.PEER_JOINED) {
        others.push(action);
        continue;
      }
      const joined = parseWire(PeerJoined, action);
      if (joined.ok && joined.value.peerID !== this.#self) present.set(joined.value.peerID, peerOf(joined.value));
    }
    for (const [peerID, peer] of [...this.#known]) {
      if (present.has(peerID)) continue;
      this.#known.delete(peerID);
      callbacks.peerLeft(peer);
    }
    for (const [peerID, peer] of present) {
      const isNew = !this.#known.has(peerID);
      this.#known.set(peerID, peer);
      if (isNew) callbacks.peerJoined(peer);
    }
    this.#hooks.resumed?.(others);
    this.#startHeartbeat();
    for (const action of resume.queue) this.#socket?.write([action]);
    log.debug(`resumed after ${Date.now() - resume.since} ms (try ${resume.attempt})`);
    callbacks.resumed?.();
  }

  /** No resume: the link ends, and the connection joins again (or provisions, when the instance is gone). */
  #giveUpResume(error: IrError): void {
    const resume = this.#resume;
    if (!resume || this.#phase === 'ended') return;
    this.#resume = null;
    this.#phase = 'ended';
    this.#stopTimers();
    this.#dropWire();
    const reprovision = error.code === 'INSTANCE_NOT_READY';
    log.debug(`could not resume: ${error.message}`);
    this.#context.callbacks.closed({
      reason: resume.reason,
      reprovision,
      error: reprovision
        ? error
        : new IrError('TRANSPORT_FAILED', `could not resume: ${error.message}`, { cause: error }),
    });
  }

  #onFrame(data: unknown): void {
    const parsed = parseWire(ActionFrame, data);
    if (!parsed.ok) {
      log.debug(`ignoring a malformed frame: ${parsed.message}`);
      return;
    }
    for (const action of parsed.value) this.#onAction(action, true);
  }

  #onAction(action: WireAction, live: boolean): void {
    const callbacks = this.#context.callbacks;
    if (action.type === ActionType.PEER_JOINED) {
      const parsed = parseWire(PeerJoined, action);
      if (!parsed.ok || parsed.value.peerID === this.#self) return;
      const peer = peerOf(parsed.value);
      const isNew = !this.#known.has(peer.peerID);
      this.#known.set(peer.peerID, peer);
      if (live && isNew) callbacks.peerJoined(peer);
    } else if (action.type === ActionType.PEER_LEFT) {
      const parsed = parseWire(PeerLeft, action);
      if (!parsed.ok) return;
      const peer = this.#known.get(parsed.value.peerID);
      if (!peer) return;
      this.#known.delete(peer.peerID);
      if (live) callbacks.peerLeft(peer);
    } else {
      this.#hooks.action?.(action, live);
    }
  }

  #armSilence(): void {
    if (this.#phase !== 'open') return;
    clearTimeout(this.#silence);
    this.#silence = setTimeout(() => {
      this.#endError = new IrError('TIMEOUT', `the instance server was silent for ${this.#timing.silenceTimeoutMs} ms`);
      this.#onEnd();
    }, this.#timing.silenceTimeoutMs);
  }

  #onEnd(): void {
    if (this.#phase === 'ended') return;
    const wasOpen = this.#phase === 'open';
    const error = this.#endError ?? errorOfCloseReason(this.#closeReason, this.#closeMessage);
    if (this.#resume) {
      if (this.#closeReason !== undefined && REPROVISION_REASONS.has(this.#closeReason)) {
        this.#giveUpResume(new IrError('INSTANCE_NOT_READY', error.message));
      } else {
        this.#resumeTryFailed(error);
      }
      return;
    }
    if (!wasOpen) {
      this.#fail(error);
      return;
    }
    if (this.#mayResume()) {
      this.#dropWire();
      this.#startResume(this.#closeReason ?? error.code);
      return;
    }
    this.#phase = 'ended';
    this.#stopTimers();
    this.#dropWire();
    const info: TransportClose = {
      error,
      reprovision: this.#closeReason !== undefined && REPROVISION_REASONS.has(this.#closeReason),
    };
    if (this.#closeReason) info.reason = this.#closeReason;
    log.debug('socket ended', { reason: this.#closeReason });
    this.#context.callbacks.closed(info);
  }

  /** The handshake failed: the join is refused, or, while resuming, the resume is given up. */
  #fail(error: unknown): void {
    if (this.#phase === 'ended') return;
    if (this.#resume) {
      const irError = error instanceof IrError ? error : new IrError('TRANSPORT_FAILED', String(error));
      if (irError.code === 'TIMEOUT') this.#resumeTryFailed(irError);
      else this.#giveUpResume(irError);
      return;
    }
    this.#phase = 'ended';
    this.#stopTimers();
    this.#dropWire();
    const settle = this.#settle;
    this.#settle = undefined;
    settle?.reject(error);
  }

  #stopTimers(): void {
    this.#resumeWait?.abort();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers = [];
    clearInterval(this.#authPoll);
    clearInterval(this.#heartbeat);
    clearTimeout(this.#silence);
  }
}

/**
 * Opens the socket and resolves once the instance accepted us, with the peers already there.
 * Adapters pass `hooks` to see the actions that are not presence.
 */
export function connectInstanceSocket(
  instance: ProvisionedInstance,
  context: TransportContext,
  timing: Partial<SocketTiming> = {},
  hooks: SocketHooks = {},
): Promise<InstanceSocket> {
  const url = instanceSocketUrl(instance, context.spec, context.peerID, context.token);
  return new InstanceSocketLink(url, instance.id, context, { ...defaultSocketTiming, ...timing }, hooks).start();
}
