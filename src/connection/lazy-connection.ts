/**
 * The registry's default connection factory. The connection code (provisioning, tokens, retries,
 * the wire schemas, the built-in adapters' loaders) is a chunk of its own, loaded when the first
 * connection starts, so a page pays for it only once an element joins. Until it is there this
 * stands in: it reports `provisioning` at once, as the connection would, and hands calls over in
 * order; once it is there, every call goes straight through.
 */
import { IrError } from '../core/errors.js';
import type { ConnectionState, InstanceSpec, SendOptions } from '../core/instance-spec.js';
import type { MediaSource } from '../protocol/data.js';
import type { ConnectionLike } from '../registry/instance-registry.js';
import type { ConnectionObserver } from './instance-connection.js';

class LazyConnection implements ConnectionLike {
  readonly #spec: InstanceSpec;
  readonly #observer: ConnectionObserver;
  readonly #peerID: string;
  #real: ConnectionLike | undefined;
  #loading: Promise<ConnectionLike | undefined> | undefined;
  /** What the observer was told before the real connection existed. */
  #reported: ConnectionState = 'idle';
  #startWhenLoaded = false;
  #closed = false;

  constructor(spec: InstanceSpec, observer: ConnectionObserver, peerID: string) {
    this.#spec = spec;
    this.#observer = observer;
    this.#peerID = peerID;
  }

  #report(state: ConnectionState, reason: string | undefined, error: IrError | null): void {
    this.#reported = state;
    this.#observer.state(state, reason, error);
  }

  /** The real connection, loaded once; `undefined` when closed meanwhile or when the chunk failed. */
  #load(): Promise<ConnectionLike | undefined> {
    this.#loading ??= import('./default-connection.js').then(
      ({ createInstanceConnection }) => {
        if (this.#closed) return undefined;
        const real = createInstanceConnection(this.#spec, this.#observer, this.#peerID, this.#reported);
        this.#real = real;
        if (this.#startWhenLoaded) real.start();
        return real;
      },
      (cause: unknown) => {
        this.#loading = undefined;
        if (this.#closed) return undefined;
        const message = `the kit's connection code could not be loaded: ${String(cause)}`;
        // Failed like a connection that gave up: reconnect() tries the load again.
        this.#report('failed', message, new IrError('NETWORK_ERROR', message, { cause }));
        return undefined;
      },
    );
    return this.#loading;
  }

  async #call<T>(work: (connection: ConnectionLike) => Promise<T>): Promise<T> {
    const real = this.#real ?? (await this.#load());
    if (!real) throw IrError.invalidState(this.#closed ? 'the connection is closed' : 'the connection failed');
    return work(real);
  }

  start(): void {
    if (this.#real) {
      this.#real.start();
      return;
    }
    if (this.#closed) return;
    if (this.#reported !== 'provisioning') this.#report('provisioning', undefined, null);
    this.#startWhenLoaded = true;
    void this.#load();
  }

  /** Before the load there is no link to drop: joining again is starting. */
  reconnect(): void {
    if (this.#real) this.#real.reconnect();
    else this.start();
  }

  send(data: unknown, options?: SendOptions): Promise<void> {
    return this.#call((connection) => connection.send(data, options));
  }

  publish(source: MediaSource, track: MediaStreamTrack, paused?: boolean): Promise<void> {
    return this.#call((connection) => connection.publish(source, track, paused));
  }

  unpublish(source: MediaSource): Promise<void> {
    return this.#call((connection) => connection.unpublish(source));
  }

  setPaused(source: MediaSource, paused: boolean): Promise<void> {
    return this.#call((connection) => connection.setPaused(source, paused));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#real) {
      this.#real.close();
      return;
    }
    // A load in flight makes nothing now; the state ends as a closed connection's does.
    if (this.#reported !== 'disconnected') this.#report('disconnected', 'closed', null);
  }
}

export function createLazyConnection(spec: InstanceSpec, observer: ConnectionObserver, peerID: string): ConnectionLike {
  return new LazyConnection(spec, observer, peerID);
}
