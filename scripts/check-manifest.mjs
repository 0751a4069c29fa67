// Fails when the committed custom-elements.json is stale: regenerates the manifest with the
// `analyze` script of package.json into a scratch directory and compares the two files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
// cem joins --outdir onto the working directory, so it must be relative.
const scratch = join('.cache', 'manifest-check');
const committedPath = join(root, 'custom-elements.json');
const freshPath = join(root, scratch, 'custom-elements.json');

rmSync(join(root, scratch), { recursive: true, force: true });
mkdirSync(join(root, scratch), { recursive: true });

const run = spawnSync('npm', ['run', '--silent', 'analyze', '--', '--outdir', scratch, '--quiet'], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
});
if (run.status !== 0 || !existsSync(freshPath)) {
  console.error(`check-manifest: \`npm run analyze\` failed (exit ${run.status ?? run.signal})`);
  process.exit(1);
}

if (!existsSync(committedPath)) {
  console.error('check-manifest: custom-elements.json is missing. Run `npm run analyze` and commit the file.');
  process.exit(1);
}

const committed = readFileSync(committedPath, 'utf8');
const fresh = readFileSync(freshPath, 'utf8');
if (committed === fresh) {
  rmSync(join(root, scratch), { recursive: true, force: true });
  console.log('check-manifest: custom-elements.json is up to date');
  process.exit(0);
}

const committedLines = committed.split('\n');
const freshLines = fresh.split('\n');
const firstDifference = freshLines.findIndex((line, index) => line !== committedLines[index]);
const line = firstDifference === -1 ? freshLines.length : firstDifference;
console.error(
  'check-manifest: custom-elements.json is stale: it differs from what `npm run analyze` generates from the JSDoc of src/elements.\n' +
    `First difference at line ${line + 1}:\n` +
    `  committed: ${committedLines[line] ?? '(end of file)'}\n` +
    `  generated: ${freshLines[line] ?? '(end of file)'}\n` +
    `The generated file is at ${scratch}/custom-elements.json. Run \`npm run analyze\` and commit custom-elements.json.`,
);
process.exit(1);
