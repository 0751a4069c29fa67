import { expect } from '@open-wc/testing';
import { IrError } from '../../src/core/errors.js';
import type { InstanceSpec } from '../../src/core/instance-spec.js';
import { HttpProvisioner } from '../../src/provisioning/http-provisioner.js';
import { ExponentialBackoffPolicy } from '../../src/provisioning/retry-policy.js';
import { TokenSource } from '../../src/provisioning/token-provider.js';
import { apiUrl, guestToken, rejection, uniqueLocation } from './helpers.js';

const fastRetries = new ExponentialBackoffPolicy({ initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 4, jitter: 0 });

/**
 * The real fetch to the real server, with the first `n` answers replaced by `answer()`: how the
 * tests meet a 503 or iR Engine's all-null answer from a server that never gives one.
 */
function fetchAnsweringFirst(n: number, answer: () => Response) {
  const calls: string[] = [];
  const wrapped: typeof fetch = (input, init) => {
    calls.push(String(input));
    return calls.length <= n ? Promise.resolve(answer()) : fetch(input, init);
  };
  return { fetch: wrapped, calls };
}

function countingFetch() {
  const calls: string[] = [];
  const wrapped: typeof fetch = (input, init) => {
    calls.push(String(input));
    return fetch(input, init);
  };
  return { fetch: wrapped, calls };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function world(locationId = uniqueLocation('prov')): InstanceSpec {
  return { kind: 'world', apiUrl, locationId };
}

describe('HttpProvisioner', () => {
  it('provisions a world instance from the real server', async () => {
    const token = await guestToken();
    const instance = await new HttpProvisioner().provision(world(), { token });
    expect(instance.id).to.be.a('string');
    expect(instance.roomCode).to.match(/^[1-9]{6}$/);
    expect(instance.p2p).to.equal(false);
    expect(instance.ipAddress).to.equal('127.0.0.1');
    expect(instance.port).to.be.a('number');
    expect(instance.channelId).to.be.a('string');
  });

  it('retries a 503 and then succeeds', async () => {
    const token = await guestToken();
    const { fetch, calls } = fetchAnsweringFirst(2, () =>
      json(503, { status: 503, code: 'NO_CAPACITY', message: 'busy' }),
    );
    const instance = await new HttpProvisioner({ fetch, retryPolicy: fastRetries }).provision(world(), { token });
    expect(instance.id).to.be.a('string');
    expect(calls).to.have.length(3);
  });

  it("retries iR Engine's all-null answer", async () => {
    const token = await guestToken();
    const { fetch, calls } = fetchAnsweringFirst(2, () =>
      json(200, { id: null, ipAddress: null, port: null, roomCode: null, podName: null }),
    );
    const instance = await new HttpProvisioner({ fetch, retryPolicy: fastRetries }).provision(world(), { token });
    expect(instance.id).to.be.a('string');
    expect(calls).to.have.length(3);
  });

  it('gives up with NO_CAPACITY when the retries run out', async () => {
    const { fetch, calls } = fetchAnsweringFirst(100, () => json(200, { id: null }));
    const error = await rejection(
      new HttpProvisioner({ fetch, retryPolicy: fastRetries }).provision(world(), { token: 't' }),
    );
    expect(IrError.is(error, 'NO_CAPACITY')).to.equal(true);
    expect(calls).to.have.length(5);
  });

  it('does not retry a 401 from the real server', async () => {
    const { fetch, calls } = countingFetch();
    const error = await rejection(
      new HttpProvisioner({ fetch, retryPolicy: fastRetries }).provision(world(), { token: 'not-a-jwt' }),
    );
    expect(IrError.is(error, 'UNAUTHORIZED')).to.equal(true);
    expect((error as IrError).status).to.equal(401);
    expect((error as IrError).retryable).to.equal(false);
    expect(calls).to.have.length(1);
  });

  it('does not retry a 400 and keeps the server code', async () => {
    const token = await guestToken();
    const { fetch, calls } = countingFetch();
    const error = await rejection(
      new HttpProvisioner({ fetch, retryPolicy: fastRetries }).provision(world('bad id!'), { token }),
    );
    expect(IrError.is(error, 'BAD_REQUEST')).to.equal(true);
    expect(calls).to.have.length(1);
  });

  it('refuses an api-url that is not a URL with INVALID_ARGUMENT', async () => {
    const error = await rejection(new HttpProvisioner().provision({ ...world(), apiUrl: 'not a url' }, { token: 't' }));
    expect(IrError.is(error, 'INVALID_ARGUMENT')).to.equal(true);
  });

  it('retries network errors', async () => {
    const token = await guestToken();
    let failures = 0;
    const flaky: typeof fetch = (input, init) =>
      failures++ < 2 ? Promise.reject(new TypeError('Failed to fetch')) : fetch(input, init);
    const instance = await new HttpProvisioner({ fetch: flaky, retryPolicy: fastRetries }).provision(world(), {
      token,
    });
    expect(instance.id).to.be.a('string');
  });

  it('rejects with the abort reason itself, unwrapped, while waiting to retry', async () => {
    const { fetch } = fetchAnsweringFirst(100, () => json(503, { code: 'NO_CAPACITY' }));
    const slowRetries = new ExponentialBackoffPolicy({ initialDelayMs: 60_000, maxDelayMs: 60_000 });
    const controller = new AbortController();
    const pending = new HttpProvisioner({ fetch, retryPolicy: slowRetries }).provision(world(), {
      token: 't',
      signal: controller.signal,
    });
    const reason = new Error('left the page');
    setTimeout(() => controller.abort(reason), 20);
    expect(await rejection(pending)).to.equal(reason);
  });

  it('times out a request that never answers', async () => {
    const never: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    const error = await rejection(
      new HttpProvisioner({
        fetch: never,
        requestTimeoutMs: 30,
        retryPolicy: new ExponentialBackoffPolicy({ maxAttempts: 1, initialDelayMs: 5 }),
      }).provision(world(), { token: 't' }),
    );
    expect(IrError.is(error, 'TIMEOUT')).to.equal(true);
  });
});

describe('TokenSource', () => {
  it('logs in as a guest once per API and name, and hands out the cached token', async () => {
    const { fetch, calls } = countingFetch();
    const tokens = new TokenSource({ fetch });
    const spec: InstanceSpec = { ...world(), displayName: 'Ada Lovelace' };
    const [a, b] = await Promise.all([tokens.tokenFor(spec), tokens.tokenFor(spec)]);
    expect(a.token).to.equal(b.token);
    expect(a.guest).to.equal(true);
    expect(calls).to.deep.equal([`${apiUrl}/authentication`]);
    await tokens.tokenFor({ ...spec, displayName: 'Grace' });
    expect(calls).to.have.length(2);
  });

  it('prefers the token attribute, then the tokenProvider', async () => {
    const tokens = new TokenSource({ fetch: () => Promise.reject(new Error('no network expected')) });
    expect((await tokens.tokenFor({ ...world(), token: 'fixed', tokenProvider: async () => 'p' })).token).to.equal(
      'fixed',
    );
    let asked = 0;
    const provider = async () => `fresh-${++asked}`;
    expect((await tokens.tokenFor({ ...world(), tokenProvider: provider })).token).to.equal('fresh-1');
    expect((await tokens.tokenFor({ ...world(), tokenProvider: provider })).token).to.equal('fresh-2');
  });
});

describe('ExponentialBackoffPolicy', () => {
  it('grows, stays under the cap, honours Retry-After and gives up', () => {
    const policy = new ExponentialBackoffPolicy({
      initialDelayMs: 100,
      maxDelayMs: 1000,
      maxAttempts: 5,
      jitter: 0.5,
      random: () => 1,
    });
    const delays = [0, 1, 2, 3, 4].map((attempt) => policy.nextRetryDelayMs({ attempt, elapsedMs: 0, error: null }));
    expect(delays).to.deep.equal([100, 200, 400, 800, 1000]);
    expect(policy.nextRetryDelayMs({ attempt: 5, elapsedMs: 0, error: null })).to.equal(null);
    const retryAfter = new IrError('RATE_LIMITED', 'slow down', { retryAfter: 0.7 });
    expect(policy.nextRetryDelayMs({ attempt: 0, elapsedMs: 0, error: retryAfter })).to.equal(700);
    const low = new ExponentialBackoffPolicy({ initialDelayMs: 100, jitter: 0.5, random: () => 0 });
    expect(low.nextRetryDelayMs({ attempt: 0, elapsedMs: 0, error: null })).to.equal(50);
  });
});
