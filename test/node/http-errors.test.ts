import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Router } from '../../src/server/http/router.js';
import { type RunningServer, TokenService } from '../../src/server/index.js';
import { createLogger } from '../../src/server/logger.js';
import { type Answer, guest, provision, provisionOk, request, start } from './helpers.js';

interface ErrorBody {
  status: number;
  code: string;
  message: string;
  retryAfter?: number;
}

function assertError(answer: Answer<unknown>, status: number, code: string): void {
  assert.equal(answer.status, status, `expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
  const body = answer.body as ErrorBody;
  assert.equal(body.status, status);
  assert.equal(body.code, code);
  assert.equal(typeof body.message, 'string');
  assert.ok(body.message.length > 0);
}

/** A raw request, for bodies fetch would not send as they are. */
function rawPost(server: RunningServer, path: string, body: Buffer): Promise<{ status: number; body: ErrorBody }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as ErrorBody }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTP errors in dev mode', () => {
  let server: RunningServer;
  let token: string;
  let staticDir: string;

  before(async () => {
    staticDir = await mkdtemp(join(tmpdir(), 'ir-rooms-static-'));
    await mkdir(join(staticDir, 'chunks'));
    await writeFile(join(staticDir, 'ir-rooms.js'), 'export const bundle = 1;\n');
    await writeFile(join(staticDir, 'ir-rooms.js.map'), '{"version":3}');
    await writeFile(join(staticDir, 'chunks', 'mediasoup-abc.js'), 'export {};\n');
    await writeFile(join(tmpdir(), 'ir-rooms-secret.js'), 'secret');
    server = await start({ staticDir, maxInstances: 3, config: { locations: { tiny: { maxUsersPerInstance: 1 } } } });
    token = (await guest(server)).accessToken;
  });
  after(() => server.close());

  it('400 for a malformed request: no location, both ids, bad room code, unknown or repeated parameter', async () => {
    assertError(await provision(server, { token }), 400, 'BAD_REQUEST');
    assertError(await provision(server, { token, locationId: 'a', channelId: 'b' }), 400, 'BAD_REQUEST');
    assertError(await provision(server, { token, locationId: 'a', roomCode: '012345' }), 400, 'BAD_REQUEST');
    assertError(await provision(server, { token, locationId: 'a', bogus: '1' }), 400, 'BAD_REQUEST');
    assertError(await provision(server, { token, locationId: 'a b' }), 400, 'BAD_REQUEST');
    assertError(await provision(server, { token, locationId: 'a', createPrivateRoom: 'yes' }), 400, 'BAD_REQUEST');
    assertError(
      await request(`${server.apiUrl}/instance-provision?token=${token}&locationId=a&locationId=b`),
      400,
      'BAD_REQUEST',
    );
  });

  it('400 for oversized values and query strings', async () => {
    assertError(await provision(server, { token, locationId: 'x'.repeat(200) }), 400, 'BAD_REQUEST');
    assertError(await provision(server, { token: 'x'.repeat(5000), locationId: 'a' }), 400, 'BAD_REQUEST');
    assertError(await provision(server, { token, locationId: 'a', sceneId: 'y'.repeat(9000) }), 400, 'BAD_REQUEST');
  });

  it('401 for a missing or bad token', async () => {
    assertError(await provision(server, { locationId: 'a' }), 401, 'UNAUTHORIZED');
    assertError(await provision(server, { locationId: 'a', token: 'not-a-jwt' }), 401, 'UNAUTHORIZED');
    const foreign = await new TokenService('another-secret-entirely').sign({ id: 'u1', name: 'x' });
    assertError(await provision(server, { locationId: 'a', token: foreign }), 401, 'UNAUTHORIZED');
  });

  it('403 for a private instance, 404 for an unknown instance, 409 for a full one', async () => {
    const owner = (await guest(server, 'owner')).accessToken;
    const room = await provisionOk(server, { locationId: 'tiny', createPrivateRoom: 'true', token: owner });
    assertError(await provision(server, { locationId: 'tiny', instanceId: room.id, token }), 403, 'FORBIDDEN');
    const unknown = { locationId: 'tiny', instanceId: 'no-such-instance', token };
    assertError(await provision(server, unknown), 404, 'NOT_FOUND');
    const byCode = { locationId: 'tiny', roomCode: room.roomCode, token };
    assertError(await provision(server, byCode), 409, 'INSTANCE_FULL');
  });

  it('503 with Retry-After when no instance can be made', async () => {
    for (let i = 0; i < 10; i++) {
      const answer = await provision(server, { locationId: `fill-${i}`, token });
      if (answer.status === 503) {
        assertError(answer, 503, 'NO_CAPACITY');
        assert.ok(Number(answer.headers.get('retry-after')) > 0);
        assert.equal((answer.body as unknown as ErrorBody).retryAfter, Number(answer.headers.get('retry-after')));
        return;
      }
      assert.equal(answer.status, 200);
    }
    assert.fail('maxInstances was never reached');
  });

  it('404 JSON for unknown paths under /api, 405 for wrong methods', async () => {
    assertError(await request(`${server.apiUrl}/nope`), 404, 'NOT_FOUND');
    assertError(await request(`${server.apiUrl}/nope`, { method: 'POST', body: '{}' }), 404, 'NOT_FOUND');
    const wrong = await request(`${server.apiUrl}/instance-provision`, { method: 'POST', body: '{}' });
    assertError(wrong, 405, 'METHOD_NOT_ALLOWED');
    assert.match(wrong.headers.get('allow') ?? '', /GET/);
    assertError(await request(`${server.apiUrl}/authentication`), 405, 'METHOD_NOT_ALLOWED');
    assertError(await request(`${server.apiUrl}/health`, { method: 'DELETE' }), 405, 'METHOD_NOT_ALLOWED');
  });

  it('answers what the HTTP parser refuses with a JSON 400, and a DELETE with a body its 405', async () => {
    const { port } = new URL(server.url);
    const exchange = (bytes: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.end(bytes));
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk;
        });
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
    const malformed = await exchange('NONSENSE\r\n\r\n');
    assert.match(malformed, /^HTTP\/1\.1 400 /);
    assert.match(malformed, /\r\n\r\n\{"status":400,"code":"BAD_REQUEST"/);
    // Found by fuzz-provisioning: node's client sends a DELETE body after `Connection: close`
    // headers; the parser's complaint about those bytes used to win over the 405, with a bare 400.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${server.url}/api/instance-provision`, { method: 'DELETE', agent: false });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write(' ');
      req.end();
    });
    assert.equal(answer.status, 405, answer.body);
    assert.match(answer.body, /"code":"METHOD_NOT_ALLOWED"/);
  });

  it('guest login: 400 for a bad body, 413 for a body too large', async () => {
    const post = (body: string) => request(`${server.apiUrl}/authentication`, { method: 'POST', body });
    assertError(await post('not json'), 400, 'BAD_REQUEST');
    assertError(await post(''), 400, 'BAD_REQUEST');
    assertError(await post('{"strategy":"password","name":"x"}'), 400, 'BAD_REQUEST');
    assertError(await post('{"strategy":"guest","name":""}'), 400, 'BAD_REQUEST');
    assertError(await post(JSON.stringify({ strategy: 'guest', name: 'x'.repeat(100) })), 400, 'BAD_REQUEST');
    assertError(await post(JSON.stringify({ strategy: 'guest', name: 'x', extra: 1 })), 400, 'BAD_REQUEST');
    const big = JSON.stringify({ strategy: 'guest', name: 'x', pad: 'y'.repeat(20_000) });
    assertError(await post(big), 413, 'PAYLOAD_TOO_LARGE');
    const streamed = await rawPost(server, '/api/authentication', Buffer.alloc(40_000, 'a'));
    assert.equal(streamed.status, 413);
    assert.equal(streamed.body.code, 'PAYLOAD_TOO_LARGE');
  });

  it('issues guest tokens carrying the name and avatar', async () => {
    const answer = await guest(server, '  Ada  ', 'https://example.com/ada.png');
    assert.equal(answer.user.name, 'Ada');
    assert.equal(answer.user.avatarUrl, 'https://example.com/ada.png');
    const check = answer.accessToken.split('.')[1]!;
    const claims = JSON.parse(Buffer.from(check, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims.sub, answer.user.id);
    assert.equal(claims.name, 'Ada');
  });

  it('answers health with counts, and CORS preflights', async () => {
    const health = await request(`${server.apiUrl}/health`);
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
    assert.equal(typeof health.body.instances, 'number');
    assert.equal(typeof health.body.peers, 'number');
    assert.equal(health.headers.get('access-control-allow-origin'), '*');
    const preflight = await fetch(`${server.apiUrl}/instance-provision`, { method: 'OPTIONS' });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /GET/);
  });

  it('serves the demo page and the bundle with their content types, and nothing outside the bundle', async () => {
    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    assert.match(html, /src="\/ir-rooms\.js"/);
    assert.doesNotMatch(html, /<ir-world-instance/, 'the demo page joins nothing until asked');
    const bundle = await fetch(`${server.url}/ir-rooms.js`);
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(bundle.headers.get('access-control-allow-origin'), '*');
    assert.equal(await bundle.text(), 'export const bundle = 1;\n');
    const chunk = await fetch(`${server.url}/chunks/mediasoup-abc.js`);
    assert.equal(chunk.status, 200);
    assert.match(chunk.headers.get('content-type') ?? '', /^text\/javascript/);
    const map = await fetch(`${server.url}/ir-rooms.js.map`);
    assert.equal(map.status, 200);
    assert.match(map.headers.get('content-type') ?? '', /^application\/json/);
    for (const path of [
      '/chunks/../../ir-rooms-secret.js',
      '/chunks/%2e%2e%2f%2e%2e%2fir-rooms-secret.js',
      '/chunks/..%2fir-rooms.js',
      '/chunks/nope.js',
      '/chunks/%zz.js',
      '/etc/passwd',
    ]) {
      const answer = await fetch(`${server.url}${path}`);
      assert.ok([400, 404].includes(answer.status), `${path} answered ${answer.status}`);
      assert.notEqual(await answer.text(), 'secret');
    }
  });
});

describe('HTTP errors outside dev mode', () => {
  let server: RunningServer;
  before(async () => {
    server = await start({
      dev: false,
      jwtSecret: 'a-secret-for-tests-only',
      adminToken: 'admin-token-for-tests',
      rateLimit: { max: 5, windowMs: 60_000 },
    });
  });
  after(() => server.close());

  it('guards GET /api/instances with the admin token: 401 without, 403 with a wrong one', async () => {
    assertError(await request(`${server.apiUrl}/instances`), 401, 'UNAUTHORIZED');
    const wrong = { headers: { authorization: 'Bearer nope' } };
    assertError(await request(`${server.apiUrl}/instances`, wrong), 403, 'FORBIDDEN');
    const right = await request(`${server.apiUrl}/instances`, {
      headers: { authorization: 'Bearer admin-token-for-tests' },
    });
    assert.equal(right.status, 200);
    assert.deepEqual(right.body, []);
  });

  it('401 for an expired token signed with the right secret', async () => {
    const tokens = new TokenService('a-secret-for-tests-only');
    const expired = await tokens.sign({ id: 'u1', name: 'x' }, Math.floor(Date.now() / 1000) - 60);
    assertError(await provision(server, { locationId: 'a', token: expired }), 401, 'UNAUTHORIZED');
  });

  it('refuses guest logins, and rate limits with 429 and Retry-After', async () => {
    const post = () =>
      request(`${server.apiUrl}/authentication`, { method: 'POST', body: '{"strategy":"guest","name":"x"}' });
    assertError(await post(), 403, 'FORBIDDEN');
    let limited: Answer<unknown> | undefined;
    for (let i = 0; i < 10 && !limited; i++) {
      const answer = await post();
      if (answer.status === 429) limited = answer;
    }
    assert.ok(limited, 'the limit was reached');
    assertError(limited, 429, 'RATE_LIMITED');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  });
});

describe('a bug in a request handler', () => {
  it('answers a 500 JSON error and the server keeps serving', async () => {
    const router = new Router(createLogger('silent'))
      .route('GET', '/boom', () => {
        throw new Error('a bug');
      })
      .route('GET', '/fine', (ctx) => {
        ctx.res.end('fine');
      });
    const server = createServer(router.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      assertError(await request(`${base}/boom`), 500, 'INTERNAL_ERROR');
      assert.equal(await (await fetch(`${base}/fine`)).text(), 'fine');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
