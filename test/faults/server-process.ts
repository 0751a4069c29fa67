/**
 * The reference server as a real process (`bin/ir-rooms.js serve --dev`, the built server), so a
 * test can SIGKILL it and start it again on the same port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/ir-rooms.js', import.meta.url));

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('freePort: no address');
  return address.port;
}

export class ServerProcess {
  readonly output: string[] = [];

  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts `ir-rooms serve --dev` on `port` and resolves once /api/health answers. */
  static async start(port: number, args: string[] = []): Promise<ServerProcess> {
    const child = spawn(
      process.execPath,
      [bin, 'serve', '--dev', '--host', '127.0.0.1', '--port', String(port), ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const server = new ServerProcess(port, child);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`the server exited with ${child.exitCode} before answering:\n${server.output.join('')}`);
      }
      try {
        const response = await fetch(`${server.url}/api/health`);
        if (response.ok) return server;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`the server did not answer /api/health within 15 s:\n${server.output.join('')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Ends it with `signal` and waits for the process to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill(signal);
    await exited;
  }
}
