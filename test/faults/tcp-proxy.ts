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

export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<Pair>();
  #target: number | undefined;
  #blocked = false;

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

  /** Cuts the live connections whose request line contains `match` (all without it); how many. */
  drop(match?: string): number {
    let dropped = 0;
    for (const pair of [...this.#pairs]) {
      if (match !== undefined && !pair.head.includes(match)) continue;
      pair.client.destroy();
      pair.upstream.destroy();
      this.#pairs.delete(pair);
      dropped++;
    }
    return dropped;
  }

  /** The network is down: live connections are cut and new ones refused, until `unblock()`. */
  block(): void {
    this.#blocked = true;
    this.drop();
  }

  unblock(): void {
    this.#blocked = false;
  }

  async close(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    if (this.#blocked || this.#target === undefined) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: this.#target });
    const pair: Pair = { client, upstream, head: '' };
    this.#pairs.add(pair);
    client.once('data', (chunk: Buffer) => {
      pair.head = chunk.toString('latin1', 0, Math.min(chunk.length, 2048));
    });
    const end = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
