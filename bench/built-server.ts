/**
 * The server as users run it: dist/node, which `npm run build` compiles with tsc and
 * `bin/ir-rooms.js` loads. The server benchmarks start this one, not the sources through tsx:
 * tsx's transform wraps every function it makes in a `__name` call, a cost no user pays.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunningServer, ServerOptions } from '../src/server/index.js';
import { forkChild } from './child-process.js';

type ServerModule = typeof import('../src/server/index.js');

const BUILT = new URL('../dist/node/server/index.js', import.meta.url);

/** The compiled server module; a clear error when the build is missing (`npm run bench` builds first). */
export async function builtServer(): Promise<ServerModule> {
  if (!existsSync(fileURLToPath(BUILT))) {
    throw new Error(`bench: ${fileURLToPath(BUILT)} is missing; run \`npm run build\` first (npm run bench does)`);
  }
  return (await import(BUILT.href)) as ServerModule;
}

/** The compiled server in a child process of its own (bench/server-child.ts); `close` ends it. */
export async function forkBuiltServer(options: ServerOptions): Promise<RunningServer> {
  const child = forkChild(fileURLToPath(new URL('./server-child.ts', import.meta.url)), [JSON.stringify(options)]);
  const { url, apiUrl, port } = await child.next<{ kind: 'listening'; url: string; apiUrl: string; port: number }>(
    'listening',
  );
  return { url, apiUrl, port, close: () => child.stop() };
}
