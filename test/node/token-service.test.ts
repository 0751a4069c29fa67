/** TokenService: HS256 tokens, and the cache of verified ones, which never outlives a token's exp. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenService } from '../../src/server/auth/token-service.js';
import { eventually } from './helpers.js';

describe('TokenService', () => {
  const secret = 'a-test-secret-of-some-length';
  const user = { id: 'u-1', name: 'Ann' };

  it('verifies its own tokens (again from its cache) and refuses others', async () => {
    const tokens = new TokenService(secret);
    const token = await tokens.sign(user, '1h');
    assert.deepEqual(await tokens.verify(token), { ok: true, user });
    assert.deepEqual(await tokens.verify(token), { ok: true, user });
    const other = await new TokenService('another-secret-entirely').sign(user, '1h');
    assert.deepEqual(await tokens.verify(other), { ok: false, reason: 'invalid' });
    assert.deepEqual(await tokens.verify(''), { ok: false, reason: 'missing' });
  });

  it('refuses a token once it expires, though it was verified while valid', async () => {
    const tokens = new TokenService(secret);
    const expiry = Math.floor(Date.now() / 1000) + 1;
    const token = await tokens.sign(user, expiry);
    assert.equal((await tokens.verify(token)).ok, true);
    await eventually(async () => !(await tokens.verify(token)).ok, 'the expired token to be refused', 4000);
    assert.ok(Date.now() >= expiry * 1000, 'refused only once expired');
  });
});
