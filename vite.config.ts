// Library build of the browser kit, as two builds of one config (`vite build` runs both):
// - "npm": dist/index.js, dist/define.js and dist/react.js with dependencies external, so an app's bundler dedupes lit;
// - "cdn": dist/ir-rooms.js, the CMS drop-in that registers every element, with dependencies bundled
//   and each transport adapter in its own lazily imported chunk under dist/chunks/.
// The server (dist/node) and the declarations (dist/types) are built by tsc afterwards.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

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
    name: 'ir-rooms:slim-dependencies',
    // Before Vite's resolver, which would find the real packages.
    enforce: 'pre',
    applyToEnvironment: (environment) => environment.name === 'cdn',
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
  plugins: [slimDependencies()],
  builder: {
    // In order: the npm build empties dist/, the CDN build adds to it.
    async buildApp(builder) {
      const { npm, cdn } = builder.environments;
      if (!npm || !cdn) throw new Error('vite.config.ts: the npm and cdn environments are missing');
      await builder.build(npm);
      await builder.build(cdn);
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
    cdn: {
      consumer: 'client',
      build: {
        target,
        outDir: 'dist',
        emptyOutDir: false,
        // Not lib mode: Vite keeps whitespace in ES libraries (for bundlers' pure annotations), but
        // this file is what a browser downloads.
        minify: 'oxc',
        sourcemap: true,
        modulePreload: false,
        copyPublicDir: false,
        rolldownOptions: {
          input: { 'ir-rooms': src('ir-rooms.ts') },
          // Keeps the API exports, and lets code shared with the adapters stay in ir-rooms.js (the
          // adapter chunks import it from there) instead of a third file every page must load.
          preserveEntrySignatures: 'allow-extension',
          output: {
            format: 'es',
            entryFileNames: '[name].js',
            chunkFileNames: 'chunks/[name]-[hash].js',
          },
        },
      },
    },
  },
});
