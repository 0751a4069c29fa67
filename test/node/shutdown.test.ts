/**
 * Graceful shutdown of the CLI on SIGTERM: peers are told SERVER_SHUTDOWN, provisioning and new
 * sockets get 503 at once, and the process exits within its bound even when a peer hangs.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { announcedServer, closeMessage, guest, join, provision, provisionOk, runCli } from './helpers.js';

const SHUTDOWN_TIMEOUT_MS = 3000;

/** A client that completes the WebSocket upgrade and then never reads or answers anything. */
function hangingPeer(url: string, query: string) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.write(
    `GET /primus?${query} HTTP/1.1\r\nhost: ${hostname}\r\nupgrade: websocket\r\nconnection: Upgrade\r\n` +
      'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n',
  );
  let text = '';
  const upgraded = new Promise<void>((resolve) => {
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (text.includes('instanceReady')) resolve();
    });
  });
  socket.on('error', () => undefined);
  return { socket, upgraded };
}

function upgradeStatus(url: string): Promise<number | string> {
  const ws = new WebSocket(
    `${url.replace('http', 'ws')}/primus?peerID=${randomUUID()}&instanceID=x&token=x&locationId=x`,
  );
  return new Promise((resolve) => {
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('error', (error) => resolve(error.message));
  });
}

describe('graceful shutdown (SIGTERM)', () => {
  it('tells peers SERVER_SHUTDOWN, answers 503 to new provisioning and sockets, and exits within the bound', async () => {
    const r = runCli([
      'serve',
      '--dev',
      '--port',
      '0',
      '--log-level',
      'warn',
      '--shutdown-timeout-ms',
      String(SHUTDOWN_TIMEOUT_MS),
    ]);
    try {
      const server = await announcedServer(r);
      const { url } = server;
      const { accessToken } = await guest(server);
      const instance = await provisionOk(server, { locationId: 'bye', token: accessToken });
      const target = { instanceId: instance.id, locationId: 'bye' };
      const peer = await join(server, accessToken, target);
      const stuck = hangingPeer(
        url,
        new URLSearchParams({
          peerID: randomUUID(),
          instanceID: instance.id,
          token: 'x',
          locationId: 'bye',
        }).toString(),
      );
      await stuck.upgraded;

      const signalled = Date.now();
      r.child.kill('SIGTERM');
      await peer.socket.waitForEnd('the peer’s socket to close on SIGTERM');
      assert.equal(closeMessage(peer.socket)?.closeReason, 'SERVER_SHUTDOWN');

      // The hanging peer holds the drain open: the port still answers, and says 503.
      const again = await provision(server, { locationId: 'bye', token: accessToken });
      assert.equal(again.status, 503, JSON.stringify(again.body));
      assert.equal((again.body as unknown as { code: string }).code, 'NO_CAPACITY');
      assert.ok(Number(again.headers.get('retry-after')) >= 1);
      const login = await fetch(`${server.apiUrl}/authentication`, {
        method: 'POST',
        body: JSON.stringify({ strategy: 'guest', name: 'Late' }),
      });
      assert.equal(login.status, 503);
      assert.equal(await upgradeStatus(url), 503, 'a new socket is refused with 503');

      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        r.exit,
        new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve('still running'), SHUTDOWN_TIMEOUT_MS + 2000);
        }),
      ]);
      clearTimeout(timer);
      assert.equal(code, 0, `exit code (stderr: ${r.stderr()})`);
      assert.ok(Date.now() - signalled < SHUTDOWN_TIMEOUT_MS + 1000, 'exited within the shutdown bound');
      stuck.socket.destroy();
    } finally {
      r.child.kill('SIGKILL');
    }
  });

  it('exits 1 at --shutdown-timeout-ms when closing takes longer', async () => {
    // A hanging peer holds the drain open for a second; a 50 ms bound ends the process first.
    const r = runCli(['serve', '--dev', '--port', '0', '--log-level', 'warn', '--shutdown-timeout-ms', '50']);
    try {
      const server = await announcedServer(r);
      const { url } = server;
      const { accessToken } = await guest(server);
      const instance = await provisionOk(server, { locationId: 'slow', token: accessToken });
      const query = new URLSearchParams({
        peerID: randomUUID(),
        instanceID: instance.id,
        token: 'x',
        locationId: 'slow',
      });
      const stuck = hangingPeer(url, query.toString());
      await stuck.upgraded;
      const signalled = Date.now();
      r.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        r.exit,
        new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve('still running'), 5000);
        }),
      ]);
      clearTimeout(timer);
      assert.equal(code, 1, `exit code (stderr: ${r.stderr()})`);
      assert.match(r.stderr(), /did not close in time/);
      assert.ok(Date.now() - signalled < 3000, `exited ${Date.now() - signalled} ms after SIGTERM`);
      stuck.socket.destroy();
    } finally {
      r.child.kill('SIGKILL');
    }
  });
});
