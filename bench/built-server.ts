/**
 * The server as users run it: dist/node, which `npm run build` compiles with tsc and
 * `bin/ir-rooms.js` loads. The server benchmarks start this one, not the sources through tsx:
 * tsx's transform wraps every function it makes in a `__name` call, a cost no user pays.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type ServerModule = typeof import('../src/server/index.js');

const BUILT = new URL('../dist/node/server/index.js', import.meta.url);

/** The compiled server module; a clear error when the build is missing (`npm run bench` builds first). */
export async function builtServer(): Promise<ServerModule> {
  if (!existsSync(fileURLToPath(BUILT))) {
    throw new Error(`bench: ${fileURLToPath(BUILT)} is missing; run \`npm run build\` first (npm run bench does)`);
  }
  return (await import(BUILT.href)) as ServerModule;
}
