/**
 * A Primus client for the one configuration the instance server speaks (`websockets` transformer,
 * JSON parser; src/server/instance/primus-options.ts): a WebSocket at `<pathname>?<query>`, every
 * message a JSON text frame, and three protocol strings:
 * - `"primus::ping::<t>"` from the server, answered with `"primus::pong::<t>"` (the server ends a
 *   spark that misses one);
 * - `"primus::server::close"`, the server ending the spark on purpose, before the socket closes;
 * - `"primus::id::"`, never sent: this client has no use for its spark id.
 *
 * Primus' browser library adds what the kit switches off (its reconnect strategies, timeouts,
 * buffering before open, transformer fallbacks) and weighs 10 KB gzipped; the connection owns
 * reconnection, so this is all of the wire the kit uses. The e2e and browser suites run it against
 * the real `primus` server.
 */

const PROTOCOL_PREFIX = 'primus::';

export interface PrimusWireEvents {
  /** A decoded message that is not a Primus protocol string. */
  data(data: unknown): void;
  /** The socket is gone, whoever closed it; called once. */
  end(): void;
  /** A frame that is not JSON (the socket stays open, as Primus' own client does). */
  error(error: Error): void;
}

export class PrimusWire {
  readonly #socket: WebSocket;
  readonly #events: PrimusWireEvents;
  #ended = false;

  /** `url` is the server's `http(s)://host:port/?query`; the pathname is Primus' `/primus`. */
  constructor(url: string, events: PrimusWireEvents, pathname = '/primus') {
    const target = new URL(url);
    target.protocol = target.protocol === 'https:' ? 'wss:' : 'ws:';
    target.pathname = pathname;
    this.#events = events;
    this.#socket = new WebSocket(target);
    this.#socket.onmessage = (event) => this.#onMessage(event.data);
    this.#socket.onclose = () => this.#end();
    // A failed socket also closes; the close is what ends it.
    this.#socket.onerror = () => {};
  }

  /** Writes one message once the socket is open; false (and nothing sent) before or after. */
  write(data: unknown): boolean {
    if (this.#socket.readyState !== WebSocket.OPEN) return false;
    this.#socket.send(JSON.stringify(data));
    return true;
  }

  /** Closes the socket; `end` follows once (at once, so the caller need not wait for the close). */
  end(): void {
    this.#socket.close();
    this.#end();
  }

  #onMessage(raw: unknown): void {
    let data: unknown;
    try {
      data = JSON.parse(String(raw));
    } catch (error) {
      this.#events.error(new Error(`the instance server sent a frame that is not JSON: ${(error as Error).message}`));
      return;
    }
    if (typeof data === 'string' && data.startsWith(PROTOCOL_PREFIX)) {
      const [kind, value = ''] = data.slice(PROTOCOL_PREFIX.length).split('::');
      if (kind === 'ping') this.write(`${PROTOCOL_PREFIX}pong::${value}`);
      // `server::close` needs no answer: the close follows and ends the wire.
      if (kind === 'ping' || kind === 'server' || kind === 'id') return;
    }
    this.#events.data(data);
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#socket.onmessage = this.#socket.onclose = null;
    this.#events.end();
  }
}
