/**
 * Lean clients for the server benchmarks: a peer joined to an instance over the real Primus client
 * (as the kit connects), and a raw `ws` client of an anchor. Unlike the test sockets they keep no
 * message log, so a long run measures the server rather than the client's bookkeeping.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { WebSocket } from 'ws';
import type { RunningServer } from '../src/server/index.js';
import { guest, provisionOk, TIMEOUT_MS } from '../test/node/helpers.js';

interface PrimusClient {
  write(data: unknown): boolean;
  end(): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
type PrimusSocketClass = new (url: string, options?: Record<string, unknown>) => PrimusClient;
const Primus = createRequire(import.meta.url)('primus') as {
  createSocket(options: Record<string, unknown>): PrimusSocketClass;
};
const PrimusSocket = Primus.createSocket({ transformer: 'websockets', pathname: '/primus', parser: 'JSON' });

export type BenchAction = Record<string, unknown> & { type: string };

export interface BenchPeer {
  readonly peerID: string;
  send(actions: BenchAction[]): void;
  /** Every action frame that arrives (heartbeats `[]` included). */
  onFrame(listener: (actions: BenchAction[]) => void): void;
  close(): void;
}

/** The server of a `url` (`http://127.0.0.1:PORT`) as the test helpers take it. */
export const serverAt = (url: string) => ({ url, apiUrl: `${url}/api` }) as RunningServer;

/** A guest logs in, provisions `locationId`, opens the instance socket and completes the handshake. */
export async function joinOurs(url: string, locationId: string, name = 'Bench'): Promise<BenchPeer> {
  const server = serverAt(url);
  const { accessToken } = await guest(server, name);
  const instance = await provisionOk(server, { locationId, token: accessToken });
  const peerID = randomUUID();
  const query = new URLSearchParams({ peerID, instanceID: instance.id, token: accessToken, locationId });
  const client = new PrimusSocket(`${url}?${query}`, { strategy: false });
  const listeners: ((actions: BenchAction[]) => void)[] = [];
  let heartbeat: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`peer ${peerID}: no handshake answer in ${TIMEOUT_MS} ms`)),
      TIMEOUT_MS,
    );
    client.on('data', (data: unknown) => {
      if (Array.isArray(data)) {
        for (const listener of listeners) listener(data as BenchAction[]);
        return;
      }
      const message = data as { instanceReady?: boolean; status?: string };
      if (message.instanceReady === true) client.write({ accessToken, peerID });
      else if (message.status === 'success') {
        clearTimeout(timer);
        // The kit's heartbeat: `[]` every second.
        heartbeat = setInterval(() => client.write([]), 1000);
        resolve();
      } else if (message.status !== undefined && message.status !== 'pending') {
        clearTimeout(timer);
        reject(new Error(`peer ${peerID}: handshake answered ${JSON.stringify(message)}`));
      }
    });
    client.on('end', () => {
      clearTimeout(timer);
      clearInterval(heartbeat);
      reject(new Error(`peer ${peerID}: the socket ended during the handshake`));
    });
  });
  return {
    peerID,
    send: (actions) => client.write(actions),
    onFrame: (listener) => listeners.push(listener),
    close: () => {
      clearInterval(heartbeat);
      client.write({ leave: true });
      client.end();
    },
  };
}

/** A raw `ws` client of an anchor relay at `wsUrl`, named by `?id=`. */
export async function joinRelay(wsUrl: string): Promise<BenchPeer> {
  const peerID = randomUUID();
  const ws = new WebSocket(`${wsUrl}?id=${peerID}`);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const heartbeat = setInterval(() => ws.send('[]'), 1000);
  const listeners: ((actions: BenchAction[]) => void)[] = [];
  ws.on('message', (data) => {
    const actions = JSON.parse(String(data)) as BenchAction[];
    for (const listener of listeners) listener(actions);
  });
  return {
    peerID,
    send: (actions) => ws.send(JSON.stringify(actions)),
    onFrame: (listener) => listeners.push(listener),
    close: () => {
      clearInterval(heartbeat);
      ws.close();
    },
  };
}
