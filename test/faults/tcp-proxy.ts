/**
 * A TCP proxy on 127.0.0.1 between the pages and the reference server, to break the network as a
 * real one breaks: `drop()` cuts connections mid-stream (the kit is not told why), `block()` also
 * refuses new ones until `unblock()`. WebRTC media does not pass through it (it flows over UDP
 * straight to the SFU), so cutting the signaling leaves the media path up, as on a real network.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

interface Pair {
  client: Socket;
  upstream: Socket;
  /** The first bytes the client sent (an HTTP request line), to pick connections by URL. */
  head: string;
}

/** Which connections a cut applies to, by their first bytes: all, those containing a string, or a test. */
export type Match = undefined | string | ((head: string) => boolean);

function matches(match: Match, head: string): boolean {
  if (match === undefined) return true;
  return typeof match === 'string' ? head.includes(match) : match(head);
}

export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<Pair>();
  #target: number | undefined;
  #blocked: Match | null = null;

  private constructor(server: Server) {
    this.#server = server;
    server.on('connection', (client) => this.#accept(client));
  }

  static async start(): Promise<TcpProxy> {
    const proxy = new TcpProxy(createServer());
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('tcp-proxy: not listening');
    return address.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Where connections go (the server's port, known only once it listens). */
  forwardTo(port: number): void {
    this.#target = port;
  }

  /** Cuts the live connections `match` picks (all without it); how many. */
  drop(match?: Match): number {
    let dropped = 0;
    for (const pair of [...this.#pairs]) {
      if (!matches(match, pair.head)) continue;
      pair.client.destroy();
      pair.upstream.destroy();
      this.#pairs.delete(pair);
      dropped++;
    }
    return dropped;
  }

  /** The network is down for what `match` picks: those connections are cut and refused until `unblock()`. */
  block(match?: Match): void {
    this.#blocked = match;
    this.drop(match);
  }

  unblock(): void {
    this.#blocked = null;
  }

  async close(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Reads the first bytes (to know what the connection is), then connects it through, unless blocked. */
  #accept(client: Socket): void {
    client.on('error', () => client.destroy());
    client.once('data', (first: Buffer) => {
      const head = first.toString('latin1', 0, Math.min(first.length, 2048));
      if (this.#target === undefined || (this.#blocked !== null && matches(this.#blocked, head))) {
        client.destroy();
        return;
      }
      client.pause();
      const upstream = createConnection({ host: '127.0.0.1', port: this.#target });
      const pair: Pair = { client, upstream, head };
      this.#pairs.add(pair);
      const end = () => {
        this.#pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end);
      upstream.on('error', end).on('close', end);
      upstream.write(first);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }
}
