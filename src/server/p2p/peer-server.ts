/**
 * The PeerServer of P2P instances (PROTOCOL.md §3): `peer`'s ExpressPeerServer mounted at /peerjs on
 * the reference server's own port. Its WebSocket is opened only for PeerJS ids derived from a live
 * P2P instance and a peer joined there with the same user as the token (the PeerJS `token` is the
 * access token), and its signaling never leaves the sender's instance.
 */
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import express from 'express';
import { ExpressPeerServer } from 'peer';
import { type WebSocket, WebSocketServer } from 'ws';
import { parseP2pPeerJsId } from '../../protocol/p2p.js';
import type { TokenService } from '../auth/token-service.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';

/** Where the PeerServer lives; its socket is at `${PEER_SERVER_PATH}/peerjs?key=…&id=…&token=…`. */
export const PEER_SERVER_PATH = '/peerjs';
/** The PeerJS `key`, as the client sends it. */
export const PEER_SERVER_KEY = 'peerjs';
const SOCKET_PATH = `${PEER_SERVER_PATH}/peerjs`;
/**
 * How long a PeerJS socket waits for its peer's instance socket to finish the handshake (the kit
 * opens both at once): an upper bound only, the wait ends when that handshake succeeds or fails.
 */
const JOIN_WAIT_MS = 10_000;
/** PeerJS signaling messages are small (SDP, candidates); bigger frames are refused by ws. */
const MAX_SIGNALING_BYTES = 64 * 1024;

export interface P2pSignalingOptions {
  log: Logger;
  tokens: TokenService;
  store: Store;
  /**
   * The user of the peer joined as `peerID` in the instance, waiting up to `withinMs` for one whose
   * instance socket is still in its handshake; null when none joins.
   */
  joiningUser(instanceId: string, peerID: string, withinMs: number): Promise<string | null>;
  /** The origins that may read its HTTP answers, as the `cors` package takes them (true: any). */
  corsOrigin?: boolean | string[];
}

type Refusal = { status: 400 | 401 | 403 | 404; reason: string };

/**
 * Runs `run` with a global setTimeout whose timers are unref'd and stop once `stopped()` says so.
 * `peer` starts two self-rescheduling timers it never stops; without this a closed server would keep
 * its process alive.
 */
function withTamedTimers<T>(stopped: () => boolean, run: () => T): T {
  const original = globalThis.setTimeout;
  const tamed = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = original(() => {
      if (!stopped()) withTamedTimers(stopped, () => callback(...args));
    }, ms);
    timer.unref();
    return timer;
  }) as typeof setTimeout;
  globalThis.setTimeout = tamed;
  try {
    return run();
  } finally {
    globalThis.setTimeout = original;
  }
}

export class P2pSignaling {
  readonly #o: P2pSignalingOptions;
  readonly #log: Logger;
  readonly #app: express.Express;
  #wss: WebSocketServer | null = null;
  #closed = false;

  constructor(server: HttpServer, options: P2pSignalingOptions) {
    this.#o = options;
    this.#log = options.log.child({ part: 'peerjs' });
    const peerServer = ExpressPeerServer(server, {
      path: '/',
      key: PEER_SERVER_KEY,
      allow_discovery: false,
      corsOptions: { origin: options.corsOrigin ?? true },
      // Upgrades are routed here by the reference server after our checks, never by ws itself.
      createWebSocketServer: () => {
        this.#wss = new WebSocketServer({ noServer: true, maxPayload: MAX_SIGNALING_BYTES });
        return this.#wss;
      },
    });
    peerServer.on('error', (error) => this.#log.debug({ err: error }, 'peer server error'));
    this.#app = express();
    this.#app.disable('x-powered-by');
    withTamedTimers(
      () => this.#closed,
      () => this.#app.use(PEER_SERVER_PATH, peerServer),
    );
  }

  /** True for requests and upgrades this PeerServer answers. */
  handles(path: string): boolean {
    return path === PEER_SERVER_PATH || path.startsWith(`${PEER_SERVER_PATH}/`);
  }

  /** The PeerServer's HTTP routes (its info document; id generation and discovery are unused). */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    this.#app(req, res);
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    this.#check(req)
      .then((refusal) => {
        const wss = this.#wss;
        if (this.#closed || !wss) {
          refuse(socket, { status: 404, reason: 'the server is shutting down' });
          return;
        }
        if (refusal) {
          this.#log.warn({ status: refusal.status, reason: refusal.reason }, 'PeerJS socket refused');
          refuse(socket, refusal);
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => {
          this.#confine(ws, parseP2pPeerJsId(queryOf(req).get('id') ?? '')?.instanceId ?? '');
          wss.emit('connection', ws, req);
        });
      })
      .catch((error: unknown) => {
        this.#log.error({ err: error }, 'PeerJS upgrade failed');
        socket.destroy();
      });
  }

  close(): void {
    this.#closed = true;
    for (const client of this.#wss?.clients ?? []) client.terminate();
  }

  async #check(req: IncomingMessage): Promise<Refusal | null> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== SOCKET_PATH) return { status: 404, reason: `no PeerJS socket at ${path?.slice(0, 100)}` };
    const query = queryOf(req);
    const id = query.get('id') ?? '';
    const token = query.get('token') ?? '';
    if (query.get('key') !== PEER_SERVER_KEY) return { status: 400, reason: 'wrong PeerJS key' };
    const parsed = parseP2pPeerJsId(id);
    if (!parsed) return { status: 403, reason: `PeerJS id ${id.slice(0, 200)} is not derived from an instance` };
    const check = await this.#o.tokens.verify(token);
    if (!check.ok) return { status: 401, reason: 'the PeerJS token is not a valid access token' };
    const instance = await this.#o.store.getInstance(parsed.instanceId);
    if (!instance?.p2p) {
      return { status: 403, reason: `instance ${parsed.instanceId.slice(0, 128)} is not a live P2P instance` };
    }
    const user = await this.#o.joiningUser(parsed.instanceId, parsed.peerID, JOIN_WAIT_MS);
    if (user === null || user !== check.user.id) {
      return {
        status: 403,
        reason: `peer ${parsed.peerID.slice(0, 128)} of user ${check.user.id} has not joined instance ${parsed.instanceId}`,
      };
    }
    return null;
  }

  /** Drops signaling addressed outside the sender's instance, so a peer reaches only its own. */
  #confine(ws: WebSocket, instanceId: string): void {
    const emit = ws.emit.bind(ws);
    let warned = false;
    ws.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (event === 'message') {
        const { type, dst } = routingOf(args[0]);
        if (type === 'LEAVE' && dst === undefined) {
          // peer would unregister the sender and leave its socket open, deaf; PeerJS never sends this.
          ws.close(1000, 'left');
          return false;
        }
        if (dst !== undefined && parseP2pPeerJsId(dst)?.instanceId !== instanceId) {
          if (!warned) this.#log.warn({ instanceId }, 'PeerJS message to a peer outside the instance dropped');
          warned = true;
          return false;
        }
      }
      return emit(event, ...args);
    }) as typeof ws.emit;
  }
}

function queryOf(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://localhost').searchParams;
}

/** The `type` and `dst` of a PeerJS frame, as far as they are strings. */
function routingOf(data: unknown): { type?: string; dst?: string } {
  try {
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : String(data);
    const message: unknown = JSON.parse(text);
    if (message !== null && typeof message === 'object') {
      const { type, dst } = message as { type?: unknown; dst?: unknown };
      return {
        ...(typeof type === 'string' ? { type } : {}),
        ...(typeof dst === 'string' ? { dst } : {}),
      };
    }
  } catch {
    // Unreadable frames reach peer, which reports them as errors and drops them.
  }
  return {};
}

const STATUS_TEXT: Record<Refusal['status'], string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
};

function refuse(socket: Duplex, refusal: Refusal): void {
  const body = JSON.stringify({ status: refusal.status, message: refusal.reason });
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_TEXT[refusal.status]}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
