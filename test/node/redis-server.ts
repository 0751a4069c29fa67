/**
 * A real redis-server (Debian's) for tests: on a free loopback port, nothing persisted, in its own
 * temporary directory. stop() and start() again keep the port, for tests of a Redis restart.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

export const REDIS_SERVER = '/usr/bin/redis-server';
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5000;

export interface TestRedis {
  readonly port: number;
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  readonly running: boolean;
  /** Stops the server (SIGTERM, SIGKILL if it lingers); the port stays this server's. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** Stops it for good and removes its directory. */
  dispose(): Promise<void>;
}

/** Starts a redis-server on a free port; resolves once it accepts connections. */
export async function startRedis(): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'ir-rooms-redis-'));
  let child: ChildProcess | null = null;
  let port = 0;
  // The free port is found by binding it and letting it go, so another process can take it in
  // between: then redis-server exits at once, and another port is tried.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir);
      break;
    } catch (error) {
      if (attempt === 3) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    const running = child;
    child = null;
    if (running) await terminate(running);
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== null;
    },
    stop,
    async start() {
      if (child) throw new Error('redis-server is already running');
      child = await launch(port, dir);
    },
    async dispose() {
      await stop();
      process.off('exit', killOnExit);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function launch(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    REDIS_SERVER,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--loglevel',
      'notice',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const fail = (message: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${message}; its output:\n${output.slice(-2000)}`));
    };
    const timer = setTimeout(
      () => fail(`redis-server on port ${port} was not ready within ${READY_TIMEOUT_MS} ms`),
      READY_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.off('exit', onExit);
        // Its later output is not needed, but the pipes must keep draining.
        child.stdout?.off('data', onData).resume();
        child.stderr?.off('data', onData).resume();
        resolve(child);
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(`redis-server on port ${port} exited before it was ready (code ${code}, signal ${signal})`);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', (error) => fail(`cannot run ${REDIS_SERVER}: ${error.message}`));
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** A loopback port nothing listens on (free a moment ago): connecting to it is refused. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server for the test file that calls this at its top level: started before its tests,
 * disposed after them. The object is usable inside the tests.
 */
export function redisForThisFile(): TestRedis {
  let server: TestRedis | undefined;
  before(async () => {
    server = await startRedis();
  });
  after(() => server?.dispose());
  const current = () => {
    if (!server) throw new Error('the redis-server of this file starts before its tests: use it inside them');
    return server;
  };
  return {
    get port() {
      return current().port;
    },
    get url() {
      return current().url;
    },
    get running() {
      return current().running;
    },
    stop: () => current().stop(),
    start: () => current().start(),
    dispose: () => current().dispose(),
  };
}
