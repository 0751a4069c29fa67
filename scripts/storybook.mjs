#!/usr/bin/env node
/**
 * `npm run storybook`: the live stories need a reference server next to Storybook. This starts one
 * (dev mode, serving dist/ so the stories' guest pages can load /ir-rooms.js), then Storybook's dev
 * server with the server's API URL in STORYBOOK_IR_API_URL (.storybook/preview.ts hands it to the
 * stories as `__IR_STORY__`). Ctrl-C or SIGTERM stops both.
 *
 *   npm run storybook -- [--port 6006] [--server-port 3031] [-- <more storybook dev flags>]
 *
 * `--server-port 0` takes a free port. Telemetry, update checks and "what's new" stay off.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values, positionals } = parseArgs({
  options: {
    port: { type: 'string', default: '6006' },
    'server-port': { type: 'string', default: '3031' },
  },
  allowPositionals: true,
});

function log(message) {
  console.log(`storybook.mjs: ${message}`);
}

function port(name) {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    console.error(`storybook.mjs: --${name} must be a port number, not ${values[name]}`);
    process.exit(2);
  }
  return value;
}

function newestChange(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestChange(join(path, name))), stat.mtimeMs);
}

// Guests are separate pages that load the server's build, so it must exist; a stale one works
// but runs older code than the story page, which Vite serves from src/.
const bundle = join(root, 'dist', 'ir-rooms.js');
if (!existsSync(bundle)) {
  log('dist/ is missing; running npm run build');
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
} else if (statSync(bundle).mtimeMs < newestChange(join(root, 'src'))) {
  log('dist/ is older than src/: guests load that older build (npm run build updates it)');
}

// The server from the sources (tsx compiles them), as the tests use it.
const { tsImport } = await import('tsx/esm/api');
const { startServer } = await tsImport('../src/server/index.ts', import.meta.url);
const server = await startServer({
  port: port('server-port'),
  dev: true,
  staticDir: join(root, 'dist'),
  logLevel: 'warn',
}).catch((error) => {
  console.error(`storybook.mjs: the reference server did not start: ${error.message}`);
  if (error.code === 'EADDRINUSE') console.error('storybook.mjs: another port: npm run storybook -- --server-port 0');
  process.exit(1);
});
log(`reference server at ${server.url} (API ${server.apiUrl})`);

const require = createRequire(import.meta.url);
const storybookBin = join(dirname(require.resolve('storybook/package.json')), 'dist', 'bin', 'dispatcher.js');
// Node runs Storybook's own entry (not npx), so the process that gets our signal is Storybook itself.
const storybook = spawn(
  process.execPath,
  [
    storybookBin,
    'dev',
    '--port',
    String(port('port')),
    '--no-open',
    '--disable-telemetry',
    '--no-version-updates',
    ...positionals,
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      STORYBOOK_DISABLE_TELEMETRY: '1',
      STORYBOOK_IR_API_URL: server.apiUrl,
      STORYBOOK_IR_SERVER_URL: server.url,
      // One per run: every tab gives a story the same rooms, so a story opened twice shows both.
      STORYBOOK_IR_SESSION: randomBytes(4).toString('hex'),
    },
  },
);

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping Storybook and the reference server`);
  if (storybook.exitCode === null && storybook.signalCode === null) storybook.kill('SIGTERM');
}

storybook.once('exit', async (code, signal) => {
  await server.close();
  // Ended by us (or by the same Ctrl-C): a clean stop. Otherwise Storybook's own status.
  process.exit(stopping || signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : (code ?? 1));
});
storybook.once('error', async (error) => {
  console.error(`storybook.mjs: could not start Storybook: ${error.message}`);
  await server.close();
  process.exit(1);
});
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
