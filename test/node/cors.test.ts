import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCorsOrigins } from '../../src/server/http/cors.js';
import type { RunningServer } from '../../src/server/index.js';
import { announcedServer, runCli, start } from './helpers.js';

const ALLOWED = 'https://cms.example';
const ALSO_ALLOWED = 'http://localhost:8080';
const REFUSED = 'https://elsewhere.example';

/** A static dir with a bundle and a chunk, so /ir-rooms.js and /chunks/ answer 200. */
async function staticDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ir-rooms-cors-'));
  await mkdir(join(dir, 'chunks'));
  await writeFile(join(dir, 'ir-rooms.js'), 'export const bundle = 1;\n');
  await writeFile(join(dir, 'chunks', 'p2p-abc.js'), 'export {};\n');
  return dir;
}

function from(origin: string | undefined, init: RequestInit = {}): RequestInit {
  return { ...init, headers: { ...(origin === undefined ? {} : { origin }), ...init.headers } };
}

/** A preflight as Chromium sends it for a GET with an Authorization header. */
function preflight(url: string, origin: string): Promise<Response> {
  return fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
  });
}

describe('CORS, any origin (the default)', () => {
  let server: RunningServer;
  before(async () => {
    server = await start({ staticDir: await staticDir() });
  });
  after(() => server.close());

  it('lets every origin read the API, the bundle and its chunks', async () => {
    for (const path of ['/api/health', '/ir-rooms.js', '/chunks/p2p-abc.js', '/api/instance-provision']) {
      const answer = await fetch(`${server.url}${path}`, from(REFUSED));
      assert.equal(answer.headers.get('access-control-allow-origin'), '*', path);
      assert.equal(answer.headers.get('vary'), null, `${path}: the answer is the same for every origin`);
      assert.equal(answer.headers.get('access-control-expose-headers'), 'retry-after', path);
      // What only a preflight needs stays off every other answer (it is on the hot path).
      assert.equal(answer.headers.get('access-control-allow-headers'), null, path);
    }
    const answer = await preflight(`${server.apiUrl}/instance-provision`, REFUSED);
    assert.equal(answer.status, 204);
    assert.equal(answer.headers.get('access-control-allow-origin'), '*');
    assert.match(answer.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assert.equal(answer.headers.get('access-control-max-age'), '600');
  });
});

describe('CORS, listed origins', () => {
  let server: RunningServer;
  before(async () => {
    server = await start({ staticDir: await staticDir(), corsOrigins: [ALLOWED, `${ALSO_ALLOWED}/`] });
  });
  after(() => server.close());

  it('gives a listed origin Access-Control-Allow-Origin with Vary: Origin, errors included', async () => {
    for (const origin of [ALLOWED, ALSO_ALLOWED]) {
      for (const path of ['/api/health', '/ir-rooms.js', '/chunks/p2p-abc.js', '/chunks/missing.js', '/api/nope']) {
        const answer = await fetch(`${server.url}${path}`, from(origin));
        assert.equal(answer.headers.get('access-control-allow-origin'), origin, `${origin} ${path}`);
        assert.match(answer.headers.get('vary') ?? '', /Origin/, `${origin} ${path}`);
        assert.match(answer.headers.get('access-control-expose-headers') ?? '', /retry-after/);
      }
    }
  });

  it('gives other origins, and requests without Origin, no Access-Control-Allow-Origin but still serves them', async () => {
    for (const origin of [REFUSED, 'https://cms.example.evil', 'null', undefined]) {
      for (const path of ['/api/health', '/ir-rooms.js', '/chunks/p2p-abc.js']) {
        const answer = await fetch(`${server.url}${path}`, from(origin));
        // Same-origin pages (the demo) send Origin too and need no CORS header: the answer stays a 200.
        assert.equal(answer.status, 200, `${origin} ${path}`);
        assert.equal(answer.headers.get('access-control-allow-origin'), null, `${origin} ${path}`);
        assert.match(answer.headers.get('vary') ?? '', /Origin/, `${origin} ${path}: caches keep one copy per origin`);
      }
    }
  });

  it("answers a listed origin's preflight and refuses another's", async () => {
    const allowed = await preflight(`${server.apiUrl}/instance-provision`, ALLOWED);
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED);
    assert.match(allowed.headers.get('access-control-allow-methods') ?? '', /GET/);
    assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assert.match(allowed.headers.get('vary') ?? '', /Origin/);

    const refused = await preflight(`${server.apiUrl}/authentication`, REFUSED);
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get('access-control-allow-origin'), null);
    const body = (await refused.json()) as { code: string; message: string };
    assert.equal(body.code, 'FORBIDDEN');
    assert.match(body.message, /origin https:\/\/elsewhere\.example is not allowed/);

    // An OPTIONS without Origin is no preflight: it is told what the path allows.
    const plain = await fetch(`${server.apiUrl}/authentication`, { method: 'OPTIONS' });
    assert.equal(plain.status, 204);
    assert.match(plain.headers.get('allow') ?? '', /POST/);
  });

  it('applies the same list to the PeerServer at /peerjs', async () => {
    const allowed = await fetch(`${server.url}/peerjs`, from(ALLOWED));
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED);
    const refused = await fetch(`${server.url}/peerjs`, from(REFUSED));
    assert.equal(refused.headers.get('access-control-allow-origin'), null);
  });
});

describe('--cors-origin', () => {
  it('normalises origins as browsers send them', () => {
    assert.equal(parseCorsOrigins('*'), '*');
    assert.equal(parseCorsOrigins(' * '), '*');
    assert.deepEqual(parseCorsOrigins('https://CMS.example/, http://localhost:8080,https://cms.example:443'), [
      'https://cms.example',
      'http://localhost:8080',
    ]);
  });

  it('refuses what is not a list of origins', async () => {
    for (const bad of [
      '',
      'cms.example',
      'ftp://cms.example',
      'https://cms.example/path',
      'https://a.b?x',
      '*,https://a.b',
    ]) {
      assert.throws(() => parseCorsOrigins(bad), Error, bad);
    }
    await assert.rejects(start({ corsOrigins: ['https://a.b/path'] }), /corsOrigins: .*not an origin/);
    await assert.rejects(start({ corsOrigins: [] }), /corsOrigins: no origin is listed/);
  });

  it('exits 2 with a message for a bad value, and serves the listed origins for a good one', async () => {
    const bad = runCli(['serve', '--dev', '--port', '0', '--cors-origin', 'https://cms.example/path']);
    const good = runCli(['serve', '--dev', '--port', '0', '--log-level', 'silent', '--cors-origin', ALLOWED]);
    try {
      assert.equal(await bad.exit, 2, bad.stderr());
      assert.match(bad.stderr(), /--cors-origin must be \* or origins separated by commas: .*not an origin/);
      const { url } = await announcedServer(good);
      const answer = await fetch(`${url}/api/health`, from(ALLOWED));
      assert.equal(answer.headers.get('access-control-allow-origin'), ALLOWED);
      const other = await fetch(`${url}/api/health`, from(REFUSED));
      assert.equal(other.headers.get('access-control-allow-origin'), null);
      good.child.kill('SIGTERM');
      assert.equal(await good.exit, 0, good.stderr());
    } finally {
      bad.child.kill('SIGKILL');
      good.child.kill('SIGKILL');
    }
  });
});
