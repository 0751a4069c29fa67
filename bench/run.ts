/**
 * `npm run bench [-- --quick]`: measures the kit and the server against their anchors in one run,
 * prints one table and writes docs/benchmarks.md (machine, versions, date, the table). Benchmarks
 * are not tests: nothing here fails on a figure; a missed goal is a row marked "no".
 *
 * Rows so far (issue 9): page weight to join a P2P / SFU room against livekit-client, the core
 * against lit + @lit-labs/signals, SFU forwarding, and 200 mount/unmount cycles. Each row says how
 * it was measured.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { distFileSets } from '../scripts/dist-files.mjs';
import { chromiumPath } from '../test/chromium.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const quick = values.quick === true;

interface Row {
  row: string;
  ours: string;
  anchor: string;
  /** ours / anchor where both are numbers of one kind. */
  ratio: string;
  goal: string;
  met: 'yes' | 'no' | '—';
  how: string;
}

const gzipSize = (code: string | Uint8Array) => gzipSync(code, { level: 9 }).length;
const kB = (bytes: number) => `${(bytes / 1000).toFixed(2)} kB`;

/** Sum of gzip -9 of each file, as a browser downloads them. */
function distGzip(files: string[]): number {
  return files.reduce((sum, file) => sum + gzipSize(readFileSync(join(root, file))), 0);
}

/** An anchor bundled as an app would ship it: esbuild, minified, one file, gzip -9. */
async function anchorGzip(source: string): Promise<number> {
  const result = await build({
    stdin: { contents: source, resolveDir: root, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return gzipSize(result.outputFiles[0]?.contents ?? new Uint8Array());
}

function ratioRow(row: string, ours: number, anchor: number, goal: number, how: string, anchorName: string): Row {
  const ratio = ours / anchor;
  return {
    row,
    ours: kB(ours),
    anchor: `${kB(anchor)} (${anchorName})`,
    ratio: `${ratio.toFixed(2)}×`,
    goal: `≤ ${goal}×`,
    met: ratio <= goal ? 'yes' : 'no',
    how,
  };
}

async function pageWeight(): Promise<Row[]> {
  const sets = distFileSets(root);
  const livekit = await anchorGzip("import { Room } from 'livekit-client'; export const room = new Room();");
  const litSignals = await anchorGzip(
    "import { LitElement } from 'lit'; import { SignalWatcher, signal } from '@lit-labs/signals';" +
      'export class El extends SignalWatcher(LitElement) {} export const s = signal(0);',
  );
  const how = 'dist/ as a page loads it (gzip -9 per file); the anchor bundled by esbuild, minified, gzip -9';
  return [
    ratioRow('page weight to join a P2P room (gz)', distGzip(sets.p2p), livekit, 0.3, how, 'livekit-client Room'),
    ratioRow('page weight to join an SFU room (gz)', distGzip(sets.sfu), livekit, 0.47, how, 'livekit-client Room'),
    ratioRow('core alone (gz)', distGzip(sets.core), litSignals, 1.5, how, 'lit + @lit-labs/signals'),
  ];
}

/** Runs a command; its exit code and output (stdout and stderr together). */
function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? 1, out }));
  });
}

async function sfuForwarding(): Promise<Row> {
  const seconds = quick ? 3 : 10;
  const { code, out } = await run(process.execPath, [
    '--import',
    'tsx',
    'bench/sfu-forwarding.ts',
    '--publishers',
    '4',
    '--subscribers',
    '8',
    '--seconds',
    String(seconds),
  ]);
  if (code !== 0) throw new Error(`bench/sfu-forwarding.ts exited ${code}:\n${out}`);
  const json = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as {
    packetsPerSecondPerCore: number;
    forwardedPacketsPerSecond: number;
    engineCpuPercent: number;
  };
  const perCore = json.packetsPerSecondPerCore;
  return {
    row: 'SFU forwarding, RTP packets/s per core, 4 publishers × 8 subscribers',
    ours: `${perCore.toLocaleString('en')} pkt/s per core (${json.forwardedPacketsPerSecond.toLocaleString('en')} pkt/s at ${json.engineCpuPercent}% CPU)`,
    anchor: '—',
    ratio: '—',
    goal: '≥ 30,000',
    met: perCore >= 30_000 ? 'yes' : 'no',
    how: `bench/sfu-forwarding.ts, ${seconds} s, werift clients in a child process`,
  };
}

async function mountCycles(): Promise<Row> {
  const cycles = quick ? 50 : 200;
  // The test checks the zeros (it fails while anything stays open) and prints the heap figure.
  const { code, out } = await run(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', 'test/faults/leaks.test.ts'],
    { LEAK_CYCLES: String(cycles) },
  );
  const line = out.split('\n').find((l) => l.startsWith('fault:'));
  const match = /→ [\d.]+ MB after \d+ \(([+-][\d.]+) MB\)/.exec(line ?? '');
  const growth = match?.[1];
  const zeros = line !== undefined;
  return {
    row: `${cycles} mount/unmount cycles (world instance + media channel, SFU, microphone)`,
    ours: zeros
      ? `heap ${growth} MB; 0 RTCPeerConnections, sockets and server peers left`
      : `something stayed open (the leak test failed, exit ${code})`,
    anchor: '—',
    ratio: '—',
    goal: '≤ 2 MB, 0, 0',
    met: zeros && Number(growth) <= 2 ? 'yes' : 'no',
    how: 'test/faults/leaks.test.ts (heap after forced GC, from after 10 cycles to the end)',
  };
}

function machine(): string[] {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  let chromium = 'unknown';
  try {
    chromium = execFileSync(chromiumPath(), ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    // Listed as unknown.
  }
  const version = (name: string) =>
    (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  return [
    `- Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    `- Node ${process.version}; ${chromium}`,
    `- ir-rooms ${version('../')}; lit ${version('lit')}, @preact/signals-core ${version('@preact/signals-core')}, mediasoup-client ${version('mediasoup-client')}, peerjs ${version('peerjs')}, werift ${version('werift')}`,
    `- Anchors: livekit-client ${version('livekit-client')}, @lit-labs/signals ${version('@lit-labs/signals')}, esbuild ${version('esbuild')}`,
  ];
}

function table(rows: Row[]): string {
  const header = '| row | ours | anchor (same run) | ratio | goal | met |\n| --- | --- | --- | --- | --- | --- |';
  return [
    header,
    ...rows.map((r) => `| ${r.row} | ${r.ours} | ${r.anchor} | ${r.ratio} | ${r.goal} | ${r.met} |`),
  ].join('\n');
}

const rows: Row[] = [];
for (const measure of [pageWeight, sfuForwarding, mountCycles]) {
  const started = Date.now();
  const made = await measure();
  rows.push(...(Array.isArray(made) ? made : [made]));
  console.error(`bench: ${measure.name} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
const markdown = table(rows);
console.log(markdown);

const doc = `# Benchmarks

Measured by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)}. Each anchor is measured in the
same run as ours, on the same machine: the ratios compare, the absolute figures drift with the
machine.

${machine().join('\n')}

${markdown}

How each row is measured:

${rows.map((r) => `- **${r.row}**: ${r.how}.`).join('\n')}

Rows still to come (issue 9): insertion → connected + first data against raw RTCPeerConnections,
provisioning requests per second against a bare \`node:http\` server (memory and Redis), action round
trips against a raw \`ws\` echo, and RSS per connected signaling peer against PeerServer.
`;
const docPath = join(root, 'docs/benchmarks.md');
writeFileSync(docPath, doc);
// Formatted as the project's Markdown is (npm run lint checks it).
execFileSync(join(root, 'node_modules/.bin/biome'), ['format', '--write', docPath], { stdio: 'ignore' });
console.error('bench: wrote docs/benchmarks.md');
