// Browser tests: real Debian Chromium (fake media devices) against a real reference server that
// this config starts on a free port. Test pages come from the test runner's origin, so the kit
// reaches the API cross-origin, as an embed on someone else's page does.
import { createRequire } from 'node:module';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { build } from 'esbuild';
import { CHROMIUM_ARGS, chromiumPath } from './test/chromium.ts';

/**
 * mediasoup-client ships CommonJS only, and PeerJS pulls in CommonJS (sdp). Vite pre-bundles such dependencies for the build; this
 * does the same for the test runner's dev server: it serves each one as an ES module bundled by
 * esbuild, with the named exports that Node sees.
 */
function commonjsDepsPlugin(packages) {
  const require = createRequire(import.meta.url);
  const prefix = '/__cjs-deps__/';
  const bundles = new Map();
  async function bundle(name) {
    const names = Object.keys(require(name)).filter((key) => key !== 'default' && key !== '__esModule');
    const result = await build({
      stdin: { contents: `export { ${names.join(', ')} } from '${name}';`, resolveDir: process.cwd() },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      define: { 'process.env.NODE_ENV': '"production"' },
    });
    return result.outputFiles[0].text;
  }
  return {
    name: 'commonjs-deps',
    resolveImport({ source }) {
      if (packages.includes(source)) return `${prefix}${source}.js`;
    },
    async serve(context) {
      if (!context.path.startsWith(prefix)) return undefined;
      const name = context.path.slice(prefix.length, -'.js'.length);
      if (!packages.includes(name)) return undefined;
      if (!bundles.has(name)) bundles.set(name, bundle(name));
      return { body: await bundles.get(name), type: 'js' };
    },
  };
}

/** @type {import('./src/server/index.ts').RunningServer | undefined} */
let server;

/** Shorter than production so tests can watch seats and instances free themselves. */
const RESERVATION_TTL_MS = 1500;
const INSTANCE_GRACE_MS = 1000;

async function start(port) {
  const { startServer } = await import('./src/server/index.ts');
  return startServer({
    port,
    dev: true,
    config: { locations: { small: { maxUsersPerInstance: 2 }, p2p: { topology: 'p2p' } } },
    instanceGraceMs: INSTANCE_GRACE_MS,
    reservationTtlMs: RESERVATION_TTL_MS,
    rateLimit: { max: 100_000, windowMs: 10_000 },
    logLevel: 'silent',
  });
}

/**
 * Starts the reference server for the run, and answers `executeServerCommand('ir-server', {action})`
 * so a test can restart it (same port, fresh state and secret) to prove recovery.
 */
function referenceServerPlugin() {
  return {
    name: 'ir-rooms-reference-server',
    async serverStart() {
      server = await start(0);
    },
    async serverStop() {
      await server?.close();
    },
    async executeCommand({ command, payload }) {
      if (command !== 'ir-server') return undefined;
      if (payload?.action === 'restart') {
        const port = server.port;
        await server.close();
        server = await start(port);
        return { url: server.url };
      }
      throw new Error(`unknown ir-server action ${JSON.stringify(payload)}`);
    },
  };
}

export default {
  files: ['test/browser/**/*.test.ts'],
  nodeResolve: { exportConditions: ['browser', 'production'], browser: true },
  concurrency: 1,
  testFramework: { config: { timeout: 20_000 } },
  plugins: [
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.json' }),
    commonjsDepsPlugin(['mediasoup-client', 'peerjs']),
    referenceServerPlugin(),
  ],
  testRunnerHtml: (testFramework) => `<!doctype html>
    <html>
      <body>
        <script>
          window.__IR_TEST__ = {
            apiUrl: ${JSON.stringify(server?.apiUrl ?? '')},
            serverUrl: ${JSON.stringify(server?.url ?? '')},
            reservationTtlMs: ${RESERVATION_TTL_MS},
            instanceGraceMs: ${INSTANCE_GRACE_MS},
          };
        </script>
        <script type="module" src="${testFramework}"></script>
      </body>
    </html>`,
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: chromiumPath(),
        headless: true,
        args: CHROMIUM_ARGS,
      },
    }),
  ],
};
