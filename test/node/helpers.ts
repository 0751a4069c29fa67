/** Shared helpers for the server's Node tests: a real server, guest tokens, and socket clients. */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import type { InstanceSummary } from '../../src/protocol/index.js';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server/index.js';

const require = createRequire(import.meta.url);

interface PrimusClient {
  write(data: unknown): boolean;
  end(): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
type PrimusSocketClass = new (url: string, options?: Record<string, unknown>) => PrimusClient;
const Primus = require('primus') as { createSocket(options: Record<string, unknown>): PrimusSocketClass };
const PrimusSocket = Primus.createSocket({ transformer: 'websockets', pathname: '/primus', parser: 'JSON' });

export const TIMEOUT_MS = 8000;

/** Server options that lift every rate and instance limit, for tests of what lies behind them. */
export const UNLIMITED = {
  rateLimit: { max: 1_000_000_000, windowMs: 60_000 },
  userRateLimit: { max: 1_000_000_000, windowMs: 60_000 },
  guessRateLimit: { max: 1_000_000_000, windowMs: 60_000 },
  maxInstancesPerUser: 1_000_000_000,
} satisfies ServerOptions;

export function start(options: ServerOptions = {}): Promise<RunningServer> {
  return startServer({ port: 0, dev: true, logLevel: 'silent', ...options });
}

/** Resolves when `check` returns a value other than undefined/false; fails with `label` after the timeout. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  label: string,
  timeoutMs = TIMEOUT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function guest(server: RunningServer, name = 'Guest', avatarUrl?: string) {
  const res = await fetch(`${server.apiUrl}/authentication`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ strategy: 'guest', name, ...(avatarUrl ? { avatarUrl } : {}) }),
  });
  if (res.status !== 201) throw new Error(`guest login answered ${res.status}`);
  return (await res.json()) as { accessToken: string; user: { id: string; name: string; avatarUrl?: string } };
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export async function request<T = Record<string, unknown>>(url: string, init?: RequestInit): Promise<Answer<T>> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  if (res.headers.get('content-type')?.startsWith('application/json')) body = JSON.parse(text);
  return { status: res.status, body: body as T, headers: res.headers };
}

export interface Provisioned {
  id: string;
  ipAddress: string;
  port: number;
  roomCode: string;
  p2p: boolean;
  channelId?: string;
}

export function provision(server: RunningServer, params: Record<string, string>): Promise<Answer<Provisioned>> {
  return request<Provisioned>(`${server.apiUrl}/instance-provision?${new URLSearchParams(params)}`);
}

export async function provisionOk(server: RunningServer, params: Record<string, string>): Promise<Provisioned> {
  const answer = await provision(server, params);
  if (answer.status !== 200) throw new Error(`provisioning answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

export async function instances(server: RunningServer, headers: Record<string, string> = {}) {
  const answer = await request<InstanceSummary[]>(`${server.apiUrl}/instances`, { headers });
  if (answer.status !== 200) throw new Error(`GET /api/instances answered ${answer.status}`);
  return answer.body;
}

type Message = Record<string, unknown> | unknown[];

function isSuccess(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { status?: unknown }).status === 'success';
}

/** A socket that records every message, so a test can wait for the one it needs. */
export class TestSocket {
  readonly messages: Message[] = [];
  readonly peerID: string;
  readonly ended: Promise<void>;
  #listeners = new Set<() => void>();
  #heartbeat: NodeJS.Timeout | null = null;
  #client: { write(data: unknown): void; close(): void };
  isEnded = false;

  constructor(peerID: string, client: (socket: TestSocket) => { write(data: unknown): void; close(): void }) {
    this.peerID = peerID;
    let endedResolve!: () => void;
    this.ended = new Promise((resolve) => {
      endedResolve = resolve;
    });
    this.#markEnded = () => {
      if (this.isEnded) return;
      this.isEnded = true;
      this.stopHeartbeat();
      endedResolve();
      this.#notify();
    };
    this.#client = client(this);
  }

  readonly #markEnded: () => void;

  receive(message: Message): void {
    this.messages.push(message);
    this.#notify();
  }

  markEnded(): void {
    this.#markEnded();
  }

  write(data: unknown): void {
    this.#client.write(data);
  }

  /** Leaves, as the kit does: `{leave: true}` (once joined), then the close. */
  close(): void {
    if (!this.isEnded && this.messages.some((m) => isSuccess(m))) this.write({ leave: true });
    this.drop();
  }

  /** Closes without leaving, as a dropped network would: the server holds the peer for a resume. */
  drop(): void {
    this.stopHeartbeat();
    this.#client.close();
  }

  /** Sends `[]` every second, as a client does after its handshake. */
  startHeartbeat(): void {
    this.#heartbeat ??= setInterval(() => this.write([]), 1000);
  }

  stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }

  /** The first message (already received or still to come) that matches. */
  waitFor<T = Message>(predicate: (message: Message) => boolean, label: string, timeoutMs = TIMEOUT_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.find(predicate);
        if (found !== undefined) {
          done();
          resolve(found as T);
        } else if (this.isEnded) {
          done();
          reject(
            new Error(`socket ended while waiting for ${label}; got ${JSON.stringify(this.messages).slice(0, 500)}`),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${label}; got ${JSON.stringify(this.messages).slice(0, 500)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** Waits for the first action of `type` (matching `where`) in any action frame. */
  async waitForAction(type: string, where: (action: Record<string, unknown>) => boolean = () => true, label = type) {
    const isMatch = (a: unknown) =>
      typeof a === 'object' &&
      a !== null &&
      (a as { type?: unknown }).type === type &&
      where(a as Record<string, unknown>);
    const frame = await this.waitFor<unknown[]>((m) => Array.isArray(m) && m.some(isMatch), label);
    return frame.find(isMatch) as Record<string, unknown>;
  }

  hasAction(type: string, where: (action: Record<string, unknown>) => boolean = () => true): boolean {
    return this.messages.some(
      (m) =>
        Array.isArray(m) &&
        m.some((a) => (a as { type?: unknown }).type === type && where(a as Record<string, unknown>)),
    );
  }

  async waitForEnd(label: string, timeoutMs = TIMEOUT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for the socket to close: ${label}`)), timeoutMs);
    });
    try {
      await Promise.race([this.ended, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

export interface SocketTarget {
  instanceId: string;
  locationId?: string;
  channelId?: string;
  roomCode?: string;
  peerID?: string;
  token?: string;
}

function socketQuery(target: SocketTarget, peerID: string): string {
  const query: Record<string, string> = { peerID, instanceID: target.instanceId, token: target.token ?? 'x' };
  if (target.locationId) query.locationId = target.locationId;
  if (target.channelId) query.channelId = target.channelId;
  if (target.roomCode) query.roomCode = target.roomCode;
  return new URLSearchParams(query).toString();
}

/** The real Primus client, as the kit uses it (no reconnection of its own). */
export function primusSocket(server: RunningServer, target: SocketTarget): TestSocket {
  const peerID = target.peerID ?? randomUUID();
  return new TestSocket(peerID, (socket) => {
    const client = new PrimusSocket(`${server.url}?${socketQuery(target, peerID)}`, { strategy: false });
    // The Primus client runs in a vm context; a JSON round trip gives the test this realm's objects.
    client.on('data', (data) => socket.receive(JSON.parse(JSON.stringify(data)) as Message));
    client.on('end', () => socket.markEnded());
    return { write: (data) => client.write(data), close: () => client.end() };
  });
}

/** A raw WebSocket on the Primus endpoint, for frames the Primus client would never send. */
export function rawSocket(server: RunningServer, target: SocketTarget): TestSocket {
  const peerID = target.peerID ?? randomUUID();
  return new TestSocket(peerID, (socket) => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/primus?${socketQuery(target, peerID)}`);
    const queue: string[] = [];
    ws.on('open', () => {
      for (const text of queue.splice(0)) ws.send(text);
    });
    ws.on('message', (data) => {
      try {
        const parsed = JSON.parse(String(data)) as unknown;
        if (typeof parsed === 'object' && parsed !== null) socket.receive(parsed as Message);
      } catch {
        // Primus protocol strings are not messages.
      }
    });
    ws.on('close', () => socket.markEnded());
    ws.on('error', () => socket.markEnded());
    return {
      write: (data) => {
        const text = typeof data === 'string' ? data : JSON.stringify(data);
        if (ws.readyState === WebSocket.OPEN) ws.send(text);
        else queue.push(text);
      },
      close: () => ws.close(),
    };
  });
}

export interface Joined {
  socket: TestSocket;
  success: {
    status: 'success';
    peerIndex: number;
    hostPeerID: string;
    cachedActions: Record<string, unknown>[];
    routerRtpCapabilities: unknown;
    resumeGraceMs?: number;
  };
}

/** Opens a socket and completes the handshake; the socket then sends heartbeats. */
export async function join(
  server: RunningServer,
  token: string,
  target: SocketTarget,
  extra: { inviteCode?: string } = {},
): Promise<Joined> {
  const socket = primusSocket(server, target);
  await socket.waitFor((m) => (m as { instanceReady?: unknown }).instanceReady === true, 'instanceReady');
  socket.write({ accessToken: token, peerID: socket.peerID, ...extra });
  const answer = await socket.waitFor<Record<string, unknown>>(
    (m) => typeof (m as { status?: unknown }).status === 'string' && (m as { status: string }).status !== 'pending',
    'handshake answer',
  );
  if (answer.status !== 'success') throw new Error(`handshake answered ${JSON.stringify(answer)}`);
  socket.startHeartbeat();
  return { socket, success: answer as Joined['success'] };
}

/** Sends the auth message and returns the first non-pending answer. */
export async function handshakeAnswer(socket: TestSocket, message: Record<string, unknown>) {
  await socket.waitFor((m) => 'instanceReady' in m, 'instanceReady');
  socket.write(message);
  return socket.waitFor<Record<string, unknown>>(
    (m) => typeof (m as { status?: unknown }).status === 'string' && (m as { status: string }).status !== 'pending',
    'handshake answer',
  );
}

export function closeMessage(socket: TestSocket): Record<string, unknown> | undefined {
  return socket.messages.find((m) => !Array.isArray(m) && 'closeReason' in m) as Record<string, unknown> | undefined;
}

/** The `ir-rooms` CLI running from the sources in a child process, with its output collected. */
export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

const CLI = fileURLToPath(new URL('../../src/server/cli.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the CLI with `args`; `env` adds to the environment (without a JWT secret or Redis URL of the caller's). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const { IR_ROOMS_JWT_SECRET: _secret, IR_ROOMS_REDIS_URL: _redis, ...base } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    err += chunk;
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** The server a `runCli(['serve', '--dev', …])` process announces on stdout, once it does. */
export async function announcedServer(run: CliRun): Promise<RunningServer> {
  const url = await eventually(
    () => /ir-rooms dev server: (http:\/\/127\.0\.0\.1:\d+)\//.exec(run.stdout())?.[1],
    `the server URL on stdout (stderr: ${run.stderr()})`,
    20_000,
  );
  return { url, apiUrl: `${url}/api` } as RunningServer;
}
