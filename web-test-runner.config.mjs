// Browser tests: real Debian Chromium (fake media devices) against a real reference server that
// this config starts on a free port. Test pages come from the test runner's origin, so the kit
// reaches the API cross-origin, as an embed on someone else's page does.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { build } from 'esbuild';
import { CHROMIUM_ARGS, chromiumPath } from './test/chromium.ts';

/**
 * mediasoup-client ships CommonJS only, and PeerJS pulls in CommonJS (sdp); so do react and
 * react-dom. Vite pre-bundles such dependencies for the build; this does the same for the test
 * runner's dev server: it serves each one as an ES module bundled by esbuild, with the named
 * exports that Node sees. A listed package that requires another listed one (react-dom/client
 * requires react) imports the served module instead of bundling its own copy: React works only
 * when the page has one.
 */
const execFileAsync = promisify(execFile);

function commonjsDepsPlugin(packages) {
  const require = createRequire(import.meta.url);
  const prefix = '/__cjs-deps__/';
  const bundles = new Map();
  const names = new Map();
  /**
   * The named exports Node sees under NODE_ENV=production (what the bundle is built for), read by
   * a child Node: a development build of React calls console.createTask as it loads, which the
   * runner's console proxy lacks.
   */
  function exportsOf(name) {
    if (!names.has(name)) {
      const script = `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(require.resolve(name))}))))`;
      const env = { ...process.env, NODE_ENV: 'production', NODE_OPTIONS: '' };
      names.set(
        name,
        execFileAsync(process.execPath, ['-e', script], { env }).then(({ stdout }) =>
          JSON.parse(stdout).filter((key) => key !== 'default' && key !== '__esModule'),
        ),
      );
    }
    return names.get(name);
  }
  /** esbuild plugin: `require()` of another listed package becomes an import of its served module. */
  const shareListed = (self) => ({
    name: 'share-listed-cjs-deps',
    setup(esbuild) {
      const others = packages.filter((name) => name !== self);
      esbuild.onResolve({ filter: /.*/ }, (args) =>
        others.includes(args.path) && args.namespace !== 'listed'
          ? { path: args.path, namespace: 'listed' }
          : undefined,
      );
      esbuild.onResolve({ filter: new RegExp(`^${prefix}`) }, (args) => ({ path: args.path, external: true }));
      esbuild.onLoad({ filter: /.*/, namespace: 'listed' }, async (args) => ({
        contents: `export { ${(await exportsOf(args.path)).join(', ')} } from '${prefix}${args.path}.js';`,
      }));
    },
  });
  async function bundle(name) {
    const result = await build({
      stdin: {
        // `default` is module.exports, for modules that export a function (notepack.io's).
        contents: `export { ${(await exportsOf(name)).join(', ')} } from '${name}'; export { default } from '${name}';`,
        resolveDir: process.cwd(),
      },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      define: { 'process.env.NODE_ENV': '"production"' },
      plugins: [shareListed(name)],
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
    // Each test file is one page, one guest user, making an instance per test.
    maxInstancesPerUser: 10_000,
    logLevel: process.env.IR_WTR_LOG_LEVEL ?? 'silent',
  });
}

/**
 * Starts the reference server for the run, and answers `executeServerCommand('ir-server', {action})`
 * so a test can restart it (same port, fresh state and secret), or stop and later start it, to prove
 * recovery.
 */
let stoppedPort;
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
      // A server down for a while (stop, then start on the same port): recovery takes several tries.
      if (payload?.action === 'stop') {
        stoppedPort = server.port;
        await server.close();
        return {};
      }
      if (payload?.action === 'start') {
        if (stoppedPort === undefined) throw new Error('ir-server start: the server was not stopped');
        server = await start(stoppedPort);
        stoppedPort = undefined;
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
    // react and react-dom: the React wrappers' test (test/browser/react.test.ts).
    commonjsDepsPlugin([
      'mediasoup-client',
      // The browser handlers the SFU link builds its Device from (src/transports/mediasoup/device-probe.ts).
      'mediasoup-client/handlers/Chrome111',
      'mediasoup-client/handlers/Chrome74',
      'mediasoup-client/handlers/Firefox120',
      'mediasoup-client/handlers/Safari12',
      'peerjs',
      'notepack.io/browser/encode.js',
      'notepack.io/browser/decode.js',
      'react',
      'react-dom',
      'react-dom/client',
    ]),
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
