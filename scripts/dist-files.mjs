// The files of the CDN build (dist/) a page loads for each use, read from the built files' import
// statements rather than globbed: chunk names carry hashes, and a glob would also count chunks no
// page loads together. Used by the size budget (.size-limit.mjs) and the benchmarks (bench/).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

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

/**
 * Paths relative to `root` of what a page loads:
 * - `core`: dist/ir-rooms.js and what it imports statically (before any element joins);
 * - `p2p` / `sfu`: the core, the connection chunk the first join loads, and the adapter chunk, with
 *   what they import statically: what a page loads to join a room of that topology;
 * - `connection`, `shared` (the instance socket and msgpack both adapters load), `statusBar`,
 *   `mediaChannel`: the lazy parts, without what the core already has.
 */
export function distFileSets(root) {
  const entry = join(root, 'dist/ir-rooms.js');
  if (!existsSync(entry)) throw new Error('dist/ir-rooms.js is missing; run `npm run build` first');
  const chunk = (prefix) => {
    const matches = readdirSync(join(root, 'dist/chunks')).filter((f) => f.startsWith(prefix) && f.endsWith('.js'));
    if (matches.length !== 1) throw new Error(`expected one dist/chunks/${prefix}*.js, found ${matches.length}`);
    return join(root, 'dist/chunks', matches[0]);
  };
  const files = (...starts) => {
    const all = new Set();
    for (const start of starts) for (const f of closure(start)) all.add(f);
    return [...all].map((f) => relative(root, f));
  };
  const core = files(entry);
  const without = (list, ...others) => list.filter((f) => !others.some((other) => other.includes(f)));
  const connection = without(files(chunk('default-connection-')), core);
  const p2p = files(entry, chunk('default-connection-'), chunk('p2p-adapter-'));
  const sfu = files(entry, chunk('default-connection-'), chunk('mediasoup-adapter-'));
  const shared = without(
    p2p.filter((f) => sfu.includes(f)),
    core,
    connection,
  );
  return {
    core,
    connection,
    shared,
    p2p,
    sfu,
    p2pAdapter: without(p2p, core, connection, shared),
    sfuAdapter: without(sfu, core, connection, shared),
    statusBar: without(files(chunk('status-bar-')), core),
    mediaChannel: without(files(chunk('media-channel-view-')), core),
  };
}
