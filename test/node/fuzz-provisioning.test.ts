/**
 * Fuzz (fast-check) of the HTTP surface: provisioning queries, guest-login bodies, and odd
 * methods, paths, headers and bodies. Every answer is 2xx/4xx, every API answer is JSON, and the
 * server stays up. `FUZZ_RUNS` sets the suite's total case count (default 10,000; this file
 * takes 60% of it, fuzz-socket.test.ts 35%, fuzz-peerjs.test.ts 5%); `FUZZ_SEED` replays a run.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { RunningServer } from '../../src/server/index.js';
import { guest, provisionOk, start, UNLIMITED } from './helpers.js';

const TOTAL = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const runs = (share: number) => Math.max(1, Math.round(TOTAL * share));

interface RawAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** One request as node:http sends it (any method, header and body fetch would refuse). */
function rawRequest(
  server: RunningServer,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}${path}`, { method, headers, agent: false });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within 5 s to ${method} ${path.slice(0, 200)}`));
    }, 5000);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** 2xx/4xx, and JSON unless `jsonOnlyForErrors` lets a 2xx be a page (a path that left /api/). */
function assertJsonAnswer(
  answer: RawAnswer,
  what: string,
  options: { head?: boolean; jsonOnlyForErrors?: boolean } = {},
) {
  assert.ok(
    answer.status >= 200 && answer.status < 500 && !(answer.status >= 300 && answer.status < 400),
    `${what}: status ${answer.status} ${answer.body.slice(0, 300)}`,
  );
  if (options.head || answer.status === 204) return;
  if (options.jsonOnlyForErrors && answer.status < 400) return;
  assert.match(answer.contentType, /^application\/json/, `${what}: content-type ${answer.contentType}`);
  assert.doesNotThrow(() => JSON.parse(answer.body), `${what}: body is not JSON: ${answer.body.slice(0, 300)}`);
}

const ADMIN = 'fuzz-admin-token';

const QUERY_KEYS = [
  'token',
  'locationId',
  'channelId',
  'instanceId',
  'roomCode',
  'createPrivateRoom',
  'sceneId',
  'topology',
] as const;

describe('fuzz: provisioning and authentication over HTTP', () => {
  let server: RunningServer;
  let token = '';
  let live: { id: string; roomCode: string; channelId: string } = { id: '', roomCode: '', channelId: '' };

  before(async () => {
    server = await start({
      // Limits would turn most cases into 429s; the fuzz wants them to reach the code behind.
      ...UNLIMITED,
      config: { locations: { lobby: { maxUsersPerInstance: 3 }, mesh: { topology: 'p2p' } } },
      adminToken: ADMIN,
    });
    token = (await guest(server, 'Fuzzer')).accessToken;
    const instance = await provisionOk(server, { locationId: 'lobby', token });
    live = { id: instance.id, roomCode: instance.roomCode, channelId: instance.channelId ?? '' };
  });
  after(async () => {
    await server.close();
  });

  /** Values that reach deep (valid ones, live ids) mixed with garbage of every shape. */
  const value = () =>
    fc.oneof(
      fc.constantFrom(
        token,
        `${token}x`,
        token.slice(0, -3),
        'lobby',
        'mesh',
        'nowhere',
        live.id,
        live.roomCode,
        live.channelId,
        '123456',
        '000000',
        'true',
        'false',
        'TRUE',
        'sfu',
        'p2p',
        '',
        ' ',
        '__proto__',
        'constructor',
        'a'.repeat(129),
        'x'.repeat(5000),
        '%00',
        '../..',
        '\u0000',
        '😀',
      ),
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.stringMatching(/^[1-9]{6}$/),
      fc.uuid().map(String),
    );

  const queryArb = () =>
    fc
      .tuple(
        fc.dictionary(fc.constantFrom(...QUERY_KEYS), value(), { maxKeys: QUERY_KEYS.length }),
        fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'toString')), value(), {
          maxKeys: 2,
        }),
        fc.boolean(),
      )
      .map(([known, extra, withExtra]) => {
        const params = new URLSearchParams();
        for (const [key, val] of Object.entries(known)) params.append(key, val);
        if (withExtra) for (const [key, val] of Object.entries(extra)) params.append(key, val);
        return params.toString();
      });

  it(`answers ${runs(0.3)} fuzzed provisioning queries with 2xx/4xx JSON`, async () => {
    await fc.assert(
      fc.asyncProperty(queryArb(), fc.boolean(), async (query, repeat) => {
        // A repeated parameter is its own kind of bad input.
        const qs = repeat && query.length > 0 ? `${query}&${query.split('&')[0]}` : query;
        const answer = await rawRequest(server, 'GET', `/api/instance-provision?${qs}`, {});
        assertJsonAnswer(answer, `GET /api/instance-provision?${qs.slice(0, 300)}`);
      }),
      { numRuns: runs(0.3), seed: SEED },
    );
  });

  it(`answers ${runs(0.15)} fuzzed POST /api/authentication bodies with 2xx/4xx JSON`, async () => {
    const field = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom('guest', 'local', '', ' ', 'x'.repeat(65), 'https://a.example/x.png', 'javascript:alert(1)'),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const body = fc.oneof(
      fc.record(
        { strategy: fc.oneof(fc.constant('guest'), field), name: field, avatarUrl: field, extra: field },
        { requiredKeys: [] },
      ),
      fc.jsonValue({ maxDepth: 4 }),
      fc.json({ maxDepth: 30 }).map((text) => `[`.repeat(200) + text),
      fc.string({ maxLength: 200 }),
      fc.constantFrom('', '{', 'null', '{"strategy":"guest","name":"a"}', '{"__proto__":{"admin":true}}'),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('application/json', 'text/plain', ''), async (input, type) => {
        const text = typeof input === 'string' ? input : JSON.stringify(input);
        const headers: Record<string, string> = type ? { 'content-type': type } : {};
        const answer = await rawRequest(server, 'POST', '/api/authentication', headers, text);
        assertJsonAnswer(answer, `POST /api/authentication ${text.slice(0, 300)}`);
      }),
      { numRuns: runs(0.15), seed: SEED },
    );
  });

  const kickBody = () =>
    fc
      .record(
        {
          peerID: fc.oneof(fc.uuid().map(String), fc.string({ maxLength: 40 }), fc.jsonValue({ maxDepth: 1 })),
          userID: fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,20}$/), fc.jsonValue({ maxDepth: 1 })),
          until: fc.oneof(
            fc.integer({ min: -10, max: 400 * 24 * 3600 }),
            fc.double(),
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
            fc.string({ maxLength: 30 }),
          ),
          extra: fc.jsonValue({ maxDepth: 1 }),
        },
        { requiredKeys: [] },
      )
      .map((b) => JSON.stringify(b));

  it(`answers ${runs(0.03)} fuzzed kicks with the admin token with 2xx/4xx JSON`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constant(null).map(() => live.id),
          fc.webSegment(),
          fc.constantFrom('%zz', '%2F', 'x'.repeat(300)),
        ),
        fc.oneof({ weight: 4, arbitrary: kickBody() }, fc.json({ maxDepth: 2 }), fc.string({ maxLength: 50 })),
        async (instanceId, body) => {
          const path = `/api/instances/${instanceId}/kick`;
          const answer = await rawRequest(
            server,
            'POST',
            path,
            { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
            body,
          );
          assertJsonAnswer(answer, `POST ${path} ${body.slice(0, 300)}`);
        },
      ),
      { numRuns: runs(0.03), seed: SEED },
    );
  });

  it(`answers ${runs(0.12)} odd methods, paths, headers and bodies without a 5xx or a hang`, async () => {
    const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND');
    const path = fc.oneof(
      fc.constantFrom(
        '/api/instance-provision',
        '/api/authentication',
        '/api/health',
        '/api/instances',
        `/api/instances/${live.id}/kick`,
        '/api/instances/nope/kick',
        '/api/',
        '/api',
        '/api/instance-provision/',
        '/api//health',
        '/api/%2e%2e/health',
        '/api/%zz',
        '/api/health?%zz=1',
      ),
      fc
        .array(fc.oneof(fc.webSegment(), fc.constantFrom('..', '.', '%2e%2e', '%00', '~')), { maxLength: 4 })
        .map((parts) => `/api/${parts.join('/')}`),
    );
    const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);
    const headers = fc.record(
      {
        'content-type': fc.oneof(fc.constantFrom('application/json', 'application/x-www-form-urlencoded'), headerValue),
        authorization: fc.oneof(
          { weight: 3, arbitrary: fc.constant(`Bearer ${ADMIN}`) },
          fc.constantFrom('Bearer ', 'Bearer x', 'Basic eA=='),
          headerValue,
        ),
        origin: fc.oneof(fc.constantFrom('null', 'https://evil.example', 'http://localhost:8080'), headerValue),
        'x-forwarded-for': fc.oneof(fc.constantFrom('1.2.3.4', '::1, 10.0.0.1', 'garbage'), headerValue),
        'access-control-request-method': fc.constantFrom('GET', 'POST', 'DELETE'),
      },
      { requiredKeys: [] },
    );
    const body = fc.option(fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 }), kickBody()), {
      nil: undefined,
    });
    await fc.assert(
      fc.asyncProperty(method, path, headers, body, async (m, p, h, b) => {
        const sent = m === 'GET' || m === 'HEAD' || m === 'OPTIONS' ? undefined : b;
        const answer = await rawRequest(server, m, p, h, sent);
        // URL normalisation may take a path out of /api/ ('/api/..' is the demo page).
        const apiPath = new URL(p, 'http://localhost').pathname.startsWith('/api/');
        assertJsonAnswer(answer, `${m} ${p} ${JSON.stringify(h)} ${String(sent).slice(0, 200)}`, {
          head: m === 'HEAD',
          jsonOnlyForErrors: !apiPath,
        });
      }),
      { numRuns: runs(0.12), seed: SEED },
    );
    const health = await rawRequest(server, 'GET', '/api/health', {});
    assert.equal(health.status, 200, 'the server still answers after the fuzz');
    assert.equal((JSON.parse(health.body) as { status: string }).status, 'ok');
  });
});
