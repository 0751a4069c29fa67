// Browser tests: real Debian Chromium (fake media devices) against a real reference server that
// this config starts on a free port. The page reaches the API through a same-origin proxy (/api),
// and the instance socket directly at the address the provisioning answer names.
import { request } from 'node:http';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';

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

/** Forwards /api/* to the reference server, so tests need no CORS. */
function apiProxy(context, next) {
  if (!server || !context.path.startsWith('/api/')) return next();
  const target = new URL(context.url, server.url);
  return new Promise((resolve) => {
    const headers = { ...context.headers, host: target.host };
    const upstream = request(target, { method: context.method, headers }, (response) => {
      context.status = response.statusCode ?? 502;
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined && name !== 'transfer-encoding' && name !== 'connection') context.set(name, value);
      }
      context.body = response;
      resolve();
    });
    // The server down (a restart test): answer like an unreachable gateway, so clients retry.
    upstream.on('error', () => {
      context.status = 502;
      context.body = { status: 502, code: 'INTERNAL_ERROR', message: 'the reference server is not reachable' };
      resolve();
    });
    context.req.pipe(upstream);
  });
}

export default {
  files: ['test/browser/**/*.test.ts'],
  nodeResolve: { exportConditions: ['production'] },
  concurrency: 1,
  testFramework: { config: { timeout: 20_000 } },
  middleware: [apiProxy],
  plugins: [esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.json' }), referenceServerPlugin()],
  testRunnerHtml: (testFramework) => `<!doctype html>
    <html>
      <body>
        <script>
          window.__IR_TEST__ = {
            apiUrl: new URL('/api', location.href).href,
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
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: [
          '--headless=new',
          '--no-sandbox',
          '--disable-gpu',
          '--use-fake-device-for-media-stream',
          '--use-fake-ui-for-media-stream',
          '--allow-loopback-in-peer-connection',
          '--autoplay-policy=no-user-gesture-required',
          '--disable-background-networking',
          '--disable-component-update',
        ],
      },
    }),
  ],
};
