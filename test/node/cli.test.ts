import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RunningServer } from '../../src/server/index.js';
import { type CliRun, closeMessage, eventually, guest, join as joinInstance, provisionOk, runCli } from './helpers.js';

const run = runCli;

async function exitCode(r: CliRun, timeoutMs = 20_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      r.child.kill('SIGKILL');
      reject(new Error(`the CLI did not exit; stdout: ${r.stdout()} stderr: ${r.stderr()}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([r.exit, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('ir-rooms CLI', () => {
  it('prints its usage with --help and exits 0', async () => {
    const r = run(['--help']);
    assert.equal(await exitCode(r), 0);
    assert.match(r.stdout(), /Usage: ir-rooms serve/);
    assert.match(r.stdout(), /--jwt-secret/);
  });

  it('exits 2 with a clear message for bad command lines and configuration', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ir-rooms-cli-'));
    const badConfig = join(dir, 'bad.json');
    await writeFile(badConfig, JSON.stringify({ locations: { lobby: { maxUsersPerInstance: 0 } } }));
    const cases: [string[], RegExp][] = [
      [['serve', '--bogus'], /Unknown option '--bogus'/],
      [['serve', '--dev', '--port', 'abc'], /--port must be a whole number/],
      [['serve'], /JWT secret is required outside dev mode/],
      [['serve', '--dev', '--redis', 'http://localhost:6379'], /--redis must be a redis:\/\/ or rediss:\/\/ URL/],
      [['serve', '--dev', '--redis-prefix', 'rooms:'], /--redis-prefix needs --redis/],
      [['serve', '--dev', '--role', 'api'], /--role api needs a shared store: pass --redis/],
      [['serve', '--dev', '--role', 'instance'], /--role instance needs a shared store: pass --redis/],
      [['serve', '--dev', '--role', 'edge'], /--role must be one of all, api, instance, not edge/],
      [['serve', '--dev', '--config', badConfig], /invalid server config: locations\.lobby\.maxUsersPerInstance/],
      [['serve', '--dev', '--config', join(dir, 'missing.json')], /cannot read config file/],
      [['launch'], /unknown command launch/],
      [['serve', '--dev', '--rate-limit', '300'], /--rate-limit must be N\/S/],
      [['serve', '--dev', '--guess-rate-limit', '0/60'], /--guess-rate-limit must be N\/S/],
      [['serve', '--dev', '--user-rate-limit', '5/0'], /--user-rate-limit must be N\/S/],
      [['serve', '--dev', '--max-instances-per-user', '0'], /--max-instances-per-user must be a whole number/],
      [['serve', '--dev', '--kick-ttl-s', 'soon'], /--kick-ttl-s must be a whole number/],
      [['serve', '--dev', '--shutdown-timeout-ms', '1.5'], /--shutdown-timeout-ms must be a whole number/],
      [['serve', '--dev', '--trust-proxy=yes'], /--trust-proxy/],
    ];
    const runs = cases.map(([args]) => run(args));
    for (const [index, [args, message]] of cases.entries()) {
      const r = runs[index]!;
      assert.equal(await exitCode(r), 2, `ir-rooms ${args.join(' ')}: ${r.stderr()}`);
      assert.match(r.stderr(), message);
    }
  });

  it('serves in dev mode, prints the demo URL, and on SIGTERM closes sockets with SERVER_SHUTDOWN', async () => {
    const r = run(['serve', '--dev', '--port', '0', '--log-level', 'trace']);
    try {
      const url = await eventually(
        () => /ir-rooms dev server: (http:\/\/127\.0\.0\.1:(\d+))\//.exec(r.stdout())?.[1],
        `the demo URL on stdout (stderr: ${r.stderr()})`,
        20_000,
      );
      const server = { url, apiUrl: `${url}/api` } as RunningServer;
      assert.equal((await fetch(`${url}/api/health`)).status, 200);
      const { accessToken } = await guest(server);
      const instance = await provisionOk(server, { locationId: 'cli', token: accessToken });
      const peer = await joinInstance(server, accessToken, { instanceId: instance.id, locationId: 'cli' });
      r.child.kill('SIGTERM');
      await peer.socket.waitForEnd('the socket to close on SIGTERM');
      assert.equal(closeMessage(peer.socket)?.closeReason, 'SERVER_SHUTDOWN');
      assert.equal(await exitCode(r, 10_000), 0);
      assert.match(r.stdout(), /"msg":"peer joined"/, 'the trace log ran');
      assert.ok(!r.stdout().includes(accessToken) && !r.stderr().includes(accessToken), 'tokens are never logged');
    } finally {
      r.child.kill('SIGKILL');
    }
  });

  it('exits 1 when the server cannot start because the port is taken', async () => {
    const blocker = createNetServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((blocker.address() as AddressInfo).port);
      const r = run(['serve', '--dev', '--port', port, '--log-level', 'silent']);
      assert.equal(await exitCode(r), 1);
      assert.match(r.stderr(), /cannot start the server: .*EADDRINUSE/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('exits 2 naming the cause when Redis cannot be reached at start', async () => {
    const closed = createNetServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    // Nothing listens there any more: connecting is refused at once.
    await new Promise((resolve) => closed.close(resolve));
    const r = run(['serve', '--dev', '--port', '0', '--log-level', 'silent', '--redis', `redis://127.0.0.1:${port}`]);
    assert.equal(await exitCode(r), 2, r.stderr());
    assert.match(r.stderr(), new RegExp(`cannot reach Redis at redis://127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
  });

  it('accepts the secret from IR_ROOMS_JWT_SECRET outside dev mode', async () => {
    const r = run(['serve', '--port', '0', '--log-level', 'warn'], { IR_ROOMS_JWT_SECRET: 'a-secret-for-tests-only' });
    try {
      await eventually(
        () => /ir-rooms server: http/.test(r.stdout()),
        `the server URL (stderr: ${r.stderr()})`,
        20_000,
      );
      r.child.kill('SIGTERM');
      assert.equal(await exitCode(r, 10_000), 0);
    } finally {
      r.child.kill('SIGKILL');
    }
  });
});
