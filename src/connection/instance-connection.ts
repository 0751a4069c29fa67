/**
 * One instance spec's life: provision → load the adapter → connect → connected, then reconnect to
 * the same instance when the link drops and provision again when the server says it is gone. The
 * one place that sequences these steps; it reports through an observer and keeps no DOM.
 */
import { anySignal, delay, isAbortOf, pageHidden } from '../core/abort.js';
import { IrError } from '../core/errors.js';
import type { ConnectionState, InstanceSpec, Peer, PeerMessage, SendOptions } from '../core/instance-spec.js';
import { createLogger } from '../core/logger.js';
import type { MediaSource, ProvisionedInstance } from '../protocol/index.js';
import type { Provisioner } from '../provisioning/provisioner.js';
import { ExponentialBackoffPolicy, type RetryPolicy } from '../provisioning/retry-policy.js';
import type { TokenSource } from '../provisioning/token-provider.js';
import type {
  CloseOptions,
  RemoteTrack,
  TransportAdapter,
  TransportClose,
  TransportHandle,
} from '../transports/transport-adapter.js';

const log = createLogger('connection');

/** What the connection reports; the registry turns it into signals and events. */
export interface ConnectionObserver {
  /** `attempt` counts the tries of one recovery while `reconnecting` (1 for the first). */
  state(state: ConnectionState, reason: string | undefined, error: IrError | null, attempt?: number): void;
  provisioned(instance: ProvisionedInstance): void;
  /** After every successful join: our index and the peers already there (replacing the old set). */
  joined(peerIndex: number, peers: readonly Peer[]): void;
  peerJoined(peer: Peer): void;
  peerLeft(peer: Peer): void;
  message(message: PeerMessage): void;
  trackAdded(track: RemoteTrack): void;
  trackRemoved(track: RemoteTrack): void;
  trackPaused(peerID: string, source: MediaSource, paused: boolean): void;
  /** The link dropped: every remote track of it is gone (a new link reports them again). */
  tracksCleared(): void;
  error(error: IrError): void;
}

/** A local track the connection publishes, again after every reconnect. */
interface Publication {
  track: MediaStreamTrack;
  paused: boolean;
}

export interface InstanceConnectionOptions {
  provisioner: Provisioner;
  tokens: TokenSource;
  loadTransport(name: string): Promise<TransportAdapter>;
  peerID: string;
  /** For reconnecting after the link drops; provisioning has its own inside the provisioner. */
  retryPolicy?: RetryPolicy;
  /** The state the observer was last told, when something reported for this connection before it existed. */
  reportedState?: ConnectionState;
}

/** Refusals of the token: with a `tokenProvider`, asked for a fresh token once before giving up. */
const AUTH_CODES = new Set<string>(['UNAUTHORIZED', 'MISSING_ACCESS_TOKEN', 'USER_NOT_AUTHORIZED']);

/** Reliable messages kept while reconnecting; more are refused (INVALID_STATE), never dropped. */
export const MAX_QUEUED_MESSAGES = 100;

interface QueuedMessage {
  data: unknown;
  options: SendOptions | undefined;
  resolve(): void;
  reject(error: unknown): void;
}

/** Codes after which the instance we had cannot be joined: provision a new one. */
const REPROVISION_CODES = new Set<string>(['INSTANCE_NOT_READY', 'INSTANCE_FULL', 'NOT_FOUND']);

export function toIrError(error: unknown): IrError {
  if (error instanceof IrError) return error;
  return new IrError('TRANSPORT_FAILED', error instanceof Error ? error.message : String(error), { cause: error });
}

export class InstanceConnection {
  readonly spec: InstanceSpec;
  readonly #options: InstanceConnectionOptions;
  readonly #observer: ConnectionObserver;
  readonly #retryPolicy: RetryPolicy;
  #state: ConnectionState = 'idle';
  #attempt: AbortController | undefined;
  #handle: TransportHandle | undefined;
  #instance: ProvisionedInstance | undefined;
  #closed = false;
  /** The try of the current recovery (0 when not reconnecting), reported with `reconnecting`. */
  #attemptNo = 0;
  #reportedAttempt: number | undefined;
  readonly #published = new Map<MediaSource, Publication>();
  readonly #queue: QueuedMessage[] = [];
  /** Page lifecycle listeners (network back, tab visible, bfcache), removed on close(). */
  readonly #listening = new AbortController();
  /** Cuts a backoff wait short when the network or the tab comes back. */
  #wake: (() => void) | undefined;
  /** The network or the tab came back during a try (not a wait): the next wait is skipped. */
  #wokeDuringTry = false;

  constructor(spec: InstanceSpec, observer: ConnectionObserver, options: InstanceConnectionOptions) {
    this.spec = spec;
    this.#observer = observer;
    this.#options = options;
    this.#state = options.reportedState ?? 'idle';
    this.#listenToPage();
    this.#retryPolicy =
      options.retryPolicy ??
      new ExponentialBackoffPolicy({ initialDelayMs: 250, maxAttempts: 10, maxElapsedMs: 60_000 });
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Starts (or restarts) from provisioning; cancels whatever attempt was running. */
  start(): void {
    if (this.#closed) return;
    this.#instance = undefined;
    void this.#run(false);
  }

  /** Drops the link and joins again, to the same instance when it still exists. */
  reconnect(): void {
    if (this.#closed) return;
    void this.#run(true);
  }

  /**
   * Sends now when connected. While reconnecting, a reliable message (the default) waits in a queue
   * of at most MAX_QUEUED_MESSAGES and goes out, in order, once connected again; it is rejected if
   * the connection fails or closes first.
   */
  send(data: unknown, options?: SendOptions): Promise<void> {
    if (this.#handle && this.#state === 'connected') return this.#handle.send(data, options);
    // Reconnecting, whether the link resumes its socket or the connection joins again: queued.
    if (this.#state === 'reconnecting' && options?.reliable !== false) {
      if (this.#queue.length >= MAX_QUEUED_MESSAGES) {
        return Promise.reject(
          IrError.invalidState(`cannot send: ${MAX_QUEUED_MESSAGES} messages already wait for the reconnection`),
        );
      }
      return new Promise((resolve, reject) => this.#queue.push({ data, options, resolve, reject }));
    }
    return Promise.reject(IrError.invalidState(`cannot send while ${this.#state}`));
  }

  /**
   * Publishes a local track under `source` now if connected, and again after every reconnect. The
   * caller owns the track; the connection never stops it.
   */
  async publish(source: MediaSource, track: MediaStreamTrack, paused = false): Promise<void> {
    if (this.#closed) throw IrError.invalidState('the connection is closed');
    this.#published.set(source, { track, paused });
    // A link that is resuming its signaling takes it now and sends it once resumed.
    const handle = this.#handle;
    if (!handle) return;
    await this.#publishOn(handle, source);
  }

  async unpublish(source: MediaSource): Promise<void> {
    if (!this.#published.delete(source)) return;
    await this.#handle?.unpublish(source);
  }

  async setPaused(source: MediaSource, paused: boolean): Promise<void> {
    const publication = this.#published.get(source);
    if (!publication) throw IrError.invalidState(`nothing is published as ${source}`);
    publication.paused = paused;
    await this.#handle?.setPaused(source, paused);
  }

  /** Ends everything; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listening.abort();
    this.#attempt?.abort(new DOMException('the connection was closed', 'AbortError'));
    this.#attempt = undefined;
    this.#dropHandle();
    this.#rejectQueue(IrError.invalidState('the connection was closed before the message could be sent'));
    this.#setState('disconnected', 'closed', null);
  }

  /** Reports a state; `reconnecting` again with the next attempt's number is a new report. */
  #setState(state: ConnectionState, reason: string | undefined, error: IrError | null): void {
    const attempt = state === 'reconnecting' ? this.#attemptNo : undefined;
    if (state === this.#state && state !== 'failed' && (attempt === undefined || attempt === this.#reportedAttempt)) {
      return;
    }
    this.#state = state;
    this.#reportedAttempt = attempt;
    log.debug(`${state}${reason ? ` (${reason})` : ''}${attempt ? `, attempt ${attempt}` : ''}`);
    this.#observer.state(state, reason, error, attempt);
  }

  /**
   * Network back online or the tab visible again: a recovery waiting out its backoff tries at once.
   * A page leaving (`pagehide`) drops the link so the server sees it go now rather than at its
   * heartbeat timeout; one restored from the back-forward cache (`pageshow`) joins again.
   */
  #listenToPage(): void {
    if (typeof window === 'undefined') return;
    const options = { signal: this.#listening.signal };
    const wake = () => {
      if (this.#wake) this.#wake();
      else if (this.#state === 'reconnecting') this.#wokeDuringTry = true;
    };
    window.addEventListener('online', wake, options);
    document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && wake(), options);
    window.addEventListener(
      'pagehide',
      () => {
        if (this.#closed) return;
        // The link first, so its leave goes out as a beacon (aborting the attempt would close it plainly).
        this.#dropHandle({ unloading: true });
        this.#attempt?.abort(pageHidden());
        this.#attempt = undefined;
        this.#rejectQueue(IrError.invalidState('the page was hidden before the message could be sent'));
        this.#setState('disconnected', 'pagehide', null);
      },
      options,
    );
    window.addEventListener('pageshow', (event) => event.persisted && this.reconnect(), options);
  }

  /**
   * Waits `ms`, or less if #wake is called (or was, during the try that just failed: it may have
   * started before the network was back); rejects when `signal` aborts.
   */
  async #backoff(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#wokeDuringTry) {
      this.#wokeDuringTry = false;
      log.debug('the network or the tab came back during the last try: retrying now');
      return;
    }
    const woken = new AbortController();
    this.#wake = () => woken.abort();
    try {
      await delay(ms, anySignal([signal, woken.signal]));
    } catch (error) {
      if (!woken.signal.aborted || signal.aborted) throw error;
      log.debug('the network or the tab came back: retrying now');
    } finally {
      this.#wake = undefined;
    }
  }

  /** After a (re)join: the reliable messages sent while reconnecting go out, in order. */
  async #flushQueue(handle: TransportHandle): Promise<void> {
    while (this.#queue.length > 0 && this.#handle === handle && this.#state === 'connected') {
      const message = this.#queue.shift() as QueuedMessage;
      await handle.send(message.data, message.options).then(message.resolve, message.reject);
    }
  }

  #rejectQueue(error: IrError): void {
    for (const message of this.#queue.splice(0)) message.reject(error);
  }

  #dropHandle(options?: CloseOptions): void {
    const handle = this.#handle;
    this.#handle = undefined;
    if (!handle) return;
    handle.close(options);
    this.#observer.tracksCleared();
  }

  /**
   * Puts the current publication of `source` on the link, muted from the start when it is muted. A
   * mute or unmute made while that was in flight is applied afterwards, so the link ends in the
   * state the caller last asked for.
   */
  async #publishOn(handle: TransportHandle, source: MediaSource): Promise<void> {
    const publication = this.#published.get(source);
    if (!publication) return;
    const { track, paused } = publication;
    await handle.publish(source, track, paused);
    const now = this.#published.get(source);
    if (this.#handle === handle && now?.track === track && now.paused !== paused) {
      await handle.setPaused(source, now.paused);
    }
  }

  /** After a (re)join: what was published before goes out on the new link. */
  async #republish(handle: TransportHandle): Promise<void> {
    for (const source of [...this.#published.keys()]) {
      if (this.#handle !== handle) return;
      try {
        await this.#publishOn(handle, source);
      } catch (error) {
        this.#observer.error(toIrError(error));
      }
    }
  }

  /** One attempt, retried by the policy; `recovering` reports `reconnecting` instead of the first-join states. */
  async #run(recovering: boolean): Promise<void> {
    this.#attempt?.abort(new DOMException('a new attempt started', 'AbortError'));
    this.#dropHandle();
    const attempt = new AbortController();
    this.#attempt = attempt;
    const { signal } = attempt;
    const started = Date.now();
    let tries = 0;
    let askedForFreshToken = false;
    this.#attemptNo = recovering ? 1 : 0;
    for (;;) {
      try {
        await this.#join(signal, recovering);
        return;
      } catch (caught) {
        if (isAbortOf(caught, signal) || signal.aborted) return;
        const error = toIrError(caught);
        // An expired token: the next join asks the tokenProvider again (once; a second refusal stands).
        if (AUTH_CODES.has(error.code) && this.spec.tokenProvider && !askedForFreshToken) {
          askedForFreshToken = true;
          log.debug(`the token was refused (${error.code}): asking the tokenProvider for a fresh one`);
          continue;
        }
        // HTTP answers (a status) are about the spec; the same codes from the socket are about the instance.
        const reprovision =
          REPROVISION_CODES.has(error.code) && error.status === undefined && this.#instance !== undefined;
        const fromProvisioning = error.status !== undefined || this.#instance === undefined;
        // Repeated failures to reach the same instance: maybe it moved or died silently.
        if (reprovision || (!fromProvisioning && tries >= 2)) this.#instance = undefined;
        // The provisioner already retried what HTTP allows; the policy here covers the link.
        const final = (!error.retryable && !reprovision) || (fromProvisioning && !reprovision && !recovering);
        const wait = final
          ? null
          : this.#retryPolicy.nextRetryDelayMs({ attempt: tries++, elapsedMs: Date.now() - started, error });
        if (wait === null) {
          this.#fail(error);
          return;
        }
        recovering = true;
        this.#attemptNo = tries + 1;
        this.#setState('reconnecting', error.code, null);
        try {
          await this.#backoff(wait, signal);
        } catch {
          return;
        }
      }
    }
  }

  async #join(signal: AbortSignal, recovering: boolean): Promise<void> {
    const spec = this.spec;
    const { tokens, loadTransport, peerID } = this.#options;
    // Tokens expire: ask once before every join, whether it provisions or only reconnects.
    let instance = this.#instance;
    if (recovering) this.#setState('reconnecting', instance ? undefined : 'provisioning', null);
    else this.#setState(instance ? 'connecting' : 'provisioning', undefined, null);
    const first = await tokens.tokenFor(spec, signal);
    let token = first.token;
    if (!instance) {
      // Recovering, one provisioning try per attempt: the retry policy here paces them.
      ({ instance, token } = await this.#provision(signal, token, first.guest, !recovering));
      this.#instance = instance;
      this.#observer.provisioned(instance);
    }
    this.#setState(recovering ? 'reconnecting' : 'connecting', undefined, null);
    const adapter = await loadTransport(instance.p2p ? 'p2p' : 'mediasoup');
    signal.throwIfAborted();
    const handle = await adapter.connect(instance, {
      peerID,
      token,
      // A resume long after the join asks the tokenProvider again, as every reconnect does.
      ...(spec.tokenProvider ? { freshToken: async () => (await tokens.tokenFor(spec)).token } : {}),
      spec,
      signal,
      callbacks: {
        peerJoined: (peer) => this.#observer.peerJoined(peer),
        peerLeft: (peer) => this.#observer.peerLeft(peer),
        message: (message) => this.#observer.message(message),
        trackAdded: (track) => this.#observer.trackAdded(track),
        trackRemoved: (track) => this.#observer.trackRemoved(track),
        trackPaused: (peerID, source, paused) => this.#observer.trackPaused(peerID, source, paused),
        interrupted: (reason, attempt) => this.#onLinkInterrupted(handle, reason, attempt),
        resumed: () => this.#onLinkResumed(handle),
        closed: (info) => this.#onLinkClosed(handle, info),
      },
    });
    if (signal.aborted) {
      handle.close();
      throw signal.reason;
    }
    this.#handle = handle;
    this.#observer.joined(handle.peerIndex, handle.peers);
    this.#attemptNo = 0;
    this.#wokeDuringTry = false;
    this.#setState('connected', undefined, null);
    if (this.#published.size > 0) void this.#republish(handle);
    if (this.#queue.length > 0) void this.#flushQueue(handle);
  }

  async #provision(
    signal: AbortSignal,
    token: string,
    guest: boolean,
    retry: boolean,
  ): Promise<{ instance: ProvisionedInstance; token: string }> {
    const { tokens, provisioner } = this.#options;
    try {
      return { instance: await provisioner.provision(this.spec, { token, signal, retry }), token };
    } catch (error) {
      // A cached guest token dies with a restarted server's secret: log in again once.
      if (!guest || !IrError.is(error, 'UNAUTHORIZED')) throw error;
      tokens.forgetGuest(this.spec);
      const fresh = await tokens.tokenFor(this.spec, signal);
      return {
        instance: await provisioner.provision(this.spec, { token: fresh.token, signal, retry }),
        token: fresh.token,
      };
    }
  }

  /** The link lost its signaling and resumes it (tier 1): `reconnecting`, with the media kept. */
  #onLinkInterrupted(handle: TransportHandle, reason: string, attempt: number): void {
    if (this.#closed || this.#handle !== handle) return;
    this.#attemptNo = attempt;
    this.#setState('reconnecting', reason, null);
  }

  #onLinkResumed(handle: TransportHandle): void {
    if (this.#closed || this.#handle !== handle) return;
    this.#attemptNo = 0;
    this.#setState('connected', 'resumed', null);
    if (this.#queue.length > 0) void this.#flushQueue(handle);
  }

  #onLinkClosed(handle: TransportHandle, info: TransportClose): void {
    if (this.#closed || this.#handle !== handle) return;
    this.#handle = undefined;
    this.#observer.tracksCleared();
    if (info.reprovision) this.#instance = undefined;
    const error = info.error;
    if (error && !error.retryable && !info.reprovision) {
      this.#fail(error);
      return;
    }
    this.#attemptNo = 1;
    this.#setState('reconnecting', info.reason ?? error?.code, null);
    void this.#run(true);
  }

  #fail(error: IrError): void {
    this.#attempt = undefined;
    this.#dropHandle();
    this.#rejectQueue(error);
    this.#setState('failed', error.code, error);
    this.#observer.error(error);
  }
}
