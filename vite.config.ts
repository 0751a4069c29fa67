// Library build of the browser kit, two builds run by `vite build`:
// - "npm" (a Vite environment): dist/index.js, dist/define.js and dist/react.js with dependencies
//   external, so an app's bundler dedupes lit;
// - "cdn" (Rolldown, Vite's bundler, called directly): dist/ir-rooms.js, the CMS drop-in that
//   registers every element, with dependencies bundled and what loads later (the connection code,
//   each transport adapter, the media channel's body) in lazily imported chunks under dist/chunks/.
//   Not through Vite, whose client builds wrap every `import()` in a module-preload helper (0.9 kB
//   gzipped in the core) that a bundle of JavaScript chunks with no CSS never needs.
// The server (dist/node) and the declarations (dist/types) are built by tsc afterwards.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Plugin, build as rolldown } from 'rolldown';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};
const dependencies = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies });

/** Bare imports of our dependencies (and their subpaths) stay imports in the npm build. */
function isDependency(id: string): boolean {
  return dependencies.some((name) => id === name || id.startsWith(`${name}/`));
}

/**
 * Keeps code no supported browser runs out of the CDN chunks (the npm build leaves these
 * dependencies to the app's bundler). They are CommonJS or imported statically, so tree-shaking
 * cannot drop them; the modules are replaced instead:
 * - mediasoup-client's Device requires every handler, and its index exports the test FakeHandler
 *   and fake parameters. Chrome74 (Chromium 74–110) and ReactNative106 cannot be picked in the
 *   browsers the kit targets (Chromium 111+, Firefox 114+, Safari 16.4+), so their stubs throw if
 *   ever constructed; the fakes are never used by the adapter.
 * - Stand-ins under scripts/cdn-stubs/ (each says why it is enough): webrtc-adapter (PeerJS reads
 *   only its browser detection), peerjs-js-binarypack (the P2P adapter uses raw serialization) and
 *   debug (mediasoup-client's logging, still switched on by `localStorage.debug`).
 */
function slimDependencies(): Plugin {
  const removedHandler = (name: string) =>
    `exports.${name} = { createFactory() { throw new Error('ir-rooms: the mediasoup-client ${name} handler is not included in this build (unsupported browser)'); } };`;
  const mediasoupStubs: Record<string, string> = {
    'handlers/Chrome74.js': removedHandler('Chrome74'),
    'handlers/ReactNative106.js': removedHandler('ReactNative106'),
    'handlers/FakeHandler.js': 'exports.FakeHandler = undefined;',
    'test/fakeParameters.js': 'module.exports = {};',
  };
  const standIns: Record<string, string> = {
    'webrtc-adapter': fileURLToPath(new URL('./scripts/cdn-stubs/webrtc-adapter.js', import.meta.url)),
    'peerjs-js-binarypack': fileURLToPath(new URL('./scripts/cdn-stubs/peerjs-js-binarypack.js', import.meta.url)),
    debug: fileURLToPath(new URL('./scripts/cdn-stubs/debug.cjs', import.meta.url)),
  };
  return {
    // Its resolveId runs before the built-in resolver, which would find the real packages.
    name: 'ir-rooms:slim-dependencies',
    resolveId(id) {
      return standIns[id] ?? null;
    },
    load(id) {
      const match = /[\\/]node_modules[\\/]mediasoup-client[\\/]lib[\\/](.+)$/.exec(id);
      return (match?.[1] && mediasoupStubs[match[1].replaceAll('\\', '/')]) ?? null;
    },
  };
}

// Chromium 111+, Firefox 114+, Safari 16.4+: class fields, top-level await and private methods are native.
const target = 'es2022';

export default defineConfig({
  root,
  publicDir: false,
  logLevel: 'warn',
  builder: {
    // In order: the npm build empties dist/, the CDN build adds to it.
    async buildApp(builder) {
      const { npm } = builder.environments;
      if (!npm) throw new Error('vite.config.ts: the npm environment is missing');
      await builder.build(npm);
      await buildCdn();
    },
  },
  environments: {
    npm: {
      consumer: 'client',
      build: {
        target,
        outDir: 'dist',
        emptyOutDir: true,
        minify: false,
        sourcemap: true,
        reportCompressedSize: false,
        lib: {
          // react.js: the React wrappers (`ir-rooms/react`); react and @lit/react stay external.
          entry: { index: src('index.ts'), define: src('define.ts'), react: src('react/index.ts') },
          formats: ['es'],
          fileName: (_format, entryName) => `${entryName}.js`,
        },
        rolldownOptions: {
          external: isDependency,
          output: { chunkFileNames: 'shared/[name]-[hash].js' },
        },
      },
    },
  },
});

/** The CDN build (see the top of this file). */
async function buildCdn(): Promise<void> {
  await rolldown({
    input: { 'ir-rooms': src('ir-rooms.ts') },
    platform: 'browser',
    plugins: [slimDependencies()],
    // Keeps the API exports, and lets code shared with the lazy chunks stay in ir-rooms.js (they
    // import it from there) instead of a further file every page must load.
    preserveEntrySignatures: 'allow-extension',
    transform: { target, define: { 'process.env.NODE_ENV': '"production"' } },
    logLevel: 'warn',
    output: {
      dir: 'dist',
      format: 'es',
      entryFileNames: '[name].js',
      chunkFileNames: 'chunks/[name]-[hash].js',
      minify: true,
      sourcemap: true,
      // As Vite's minified builds: no comments (the packages' licenses ship with them on npm), and
      // top-level `var`s, which minify better.
      comments: { legal: false, annotation: false, jsdoc: false },
      topLevelVar: true,
    },
  });
}
