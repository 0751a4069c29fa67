// Library build of the browser kit, as two builds of one config (`vite build` runs both):
// - "npm": dist/index.js, dist/define.js and dist/react.js with dependencies external, so an app's bundler dedupes lit;
// - "cdn": dist/ir-rooms.js, the CMS drop-in that registers every element, with dependencies bundled
//   and each transport adapter in its own lazily imported chunk under dist/chunks/.
// The server (dist/node) and the declarations (dist/types) are built by tsc afterwards.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

// Chromium 111+, Firefox 114+, Safari 16.4+: class fields, top-level await and private methods are native.
const target = 'es2022';

export default defineConfig({
  root,
  publicDir: false,
  logLevel: 'warn',
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
