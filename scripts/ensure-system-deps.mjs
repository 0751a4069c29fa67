// Makes sure the system programs the tests drive are installed (Debian's chromium, redis-server,
// coturn's turnserver), installing them with apt-get when missing and running as root. Quick and
// silent when present.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Each program the tests need: the names to look for and the Debian package that provides it. */
const REQUIRED = [
  { name: 'chromium', paths: ['/usr/bin/chromium'], commands: ['chromium'], aptPackage: 'chromium' },
  { name: 'redis-server', paths: ['/usr/bin/redis-server'], commands: ['redis-server'], aptPackage: 'redis-server' },
  { name: 'turnserver', paths: ['/usr/bin/turnserver'], commands: ['turnserver'], aptPackage: 'coturn' },
];

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findProgram({ paths, commands }) {
  for (const path of paths) if (isExecutable(path)) return path;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const command of commands) {
    for (const dir of dirs) {
      const candidate = join(dir, command);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

const missing = REQUIRED.filter((program) => findProgram(program) === undefined);
if (missing.length === 0) process.exit(0);

const packages = missing.map((program) => program.aptPackage);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot) {
  console.error(
    `ensure-system-deps: missing ${missing.map((p) => p.name).join(', ')}.\n` +
      `Install ${packages.length === 1 ? 'it' : 'them'} as root, then run the command again:\n` +
      `  sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`,
  );
  process.exit(1);
}

const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasApt) {
  console.error(
    `ensure-system-deps: missing ${packages.join(', ')} and apt-get is not available; install them with your system's package manager.`,
  );
  process.exit(1);
}

console.log(`ensure-system-deps: installing ${packages.join(' ')} with apt-get`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', ...packages], { stdio: 'inherit', env });
} catch (error) {
  console.error(`ensure-system-deps: apt-get failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

const stillMissing = REQUIRED.filter((program) => findProgram(program) === undefined);
if (stillMissing.length > 0) {
  console.error(`ensure-system-deps: still missing after install: ${stillMissing.map((p) => p.name).join(', ')}`);
  process.exit(1);
}
console.log('ensure-system-deps: done');
