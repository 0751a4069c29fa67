#!/usr/bin/env node
// The `ir-rooms` command: runs the compiled server CLI (dist/node, made by `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = fileURLToPath(new URL('../dist/node/server/cli.js', import.meta.url));
if (!existsSync(cli)) {
  console.error('ir-rooms: the server is not built (dist/node is missing); run npm run build first');
  process.exit(1);
}
const { main } = await import(pathToFileURL(cli).href);
process.exitCode = await main(process.argv.slice(2));
