// Size budget of the CDN build (issue 6), gzip -9 summed per file, as a page downloads it:
// - core: dist/ir-rooms.js and every chunk it imports statically (what each page loads before any
//   instance connects);
// - core + P2P / core + SFU: the core, the connection chunk the first join loads (provisioning),
//   the adapter chunk and every chunk those import statically (the shared instance-socket chunk
//   among them): what a page loads to join a room;
// - the UI loaded when an element shows it (the world instance's status bar, the media channel's
//   body), listed apart.
// The file sets are read from the built files' import statements rather than globbed, because
// chunk names carry hashes and the shared chunk is named after whichever module Rolldown picks;
// a glob over dist/chunks would also count chunks no page loads together. Run after `npm run build`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const entry = join(root, 'dist/ir-rooms.js');
if (!existsSync(entry)) throw new Error('.size-limit.mjs: dist/ir-rooms.js is missing; run `npm run build` first');

/** The file and, transitively, every relative module it imports statically (`from"./x.js"`, `import"./x.js"`). */
function closure(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  // Minified ES output: static imports are `from"…"` or a bare `import"…"`; `import(` is lazy and skipped.
  for (const [, specifier] of code.matchAll(/(?:\bfrom|\bimport)\s*["'`](\.{1,2}\/[^"'`]+)["'`]/g)) {
    closure(join(dirname(file), specifier), seen);
  }
  return seen;
}

/** The one adapter chunk whose name starts with `prefix` (e.g. `p2p-adapter-`). */
function chunk(prefix) {
  const matches = readdirSync(join(root, 'dist/chunks')).filter((f) => f.startsWith(prefix) && f.endsWith('.js'));
  if (matches.length !== 1) {
    throw new Error(`.size-limit.mjs: expected one dist/chunks/${prefix}*.js, found ${matches.length}`);
  }
  return join(root, 'dist/chunks', matches[0]);
}

const files = (...starts) => {
  const all = new Set();
  for (const start of starts) for (const f of closure(start)) all.add(f);
  return [...all].map((f) => relative(root, f));
};

const core = files(entry);
const connection = files(chunk('default-connection-')).filter((f) => !core.includes(f));
const p2p = files(entry, chunk('default-connection-'), chunk('p2p-adapter-'));
const sfu = files(entry, chunk('default-connection-'), chunk('mediasoup-adapter-'));
const shared = p2p.filter((f) => sfu.includes(f) && !core.includes(f) && !connection.includes(f));
const mediaChannel = files(chunk('media-channel-view-')).filter((f) => !core.includes(f));
const statusBar = files(chunk('status-bar-')).filter((f) => !core.includes(f));

export default [
  { name: 'core (ir-rooms.js)', path: core, limit: '16 kB', gzip: true },
  { name: 'core + P2P', path: p2p, limit: '45 kB', gzip: true },
  { name: 'core + SFU', path: sfu, limit: '70 kB', gzip: true },
  // Without limits, for reading the table: where the totals come from.
  { name: 'connection chunk (provisioning, loaded on the first join)', path: connection, gzip: true },
  { name: 'chunks both adapters load (instance socket, msgpack)', path: shared, gzip: true },
  { name: 'P2P adapter chunk', path: p2p.filter((f) => ![...core, ...connection, ...shared].includes(f)), gzip: true },
  { name: 'SFU adapter chunk', path: sfu.filter((f) => ![...core, ...connection, ...shared].includes(f)), gzip: true },
  { name: '<ir-world-instance> status bar (loaded unless headless)', path: statusBar, gzip: true },
  { name: '<ir-media-channel> body (loaded on insertion)', path: mediaChannel, gzip: true },
];
