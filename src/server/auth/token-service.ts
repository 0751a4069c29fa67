/**
 * HS256 user tokens (jose): `sub` is the user id, plus `name` and `avatarUrl` claims. Dev mode
 * issues guest tokens with them; deployments mint their own with the same secret.
 */
import { createSecretKey, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { ID_PATTERN, MAX_TOKEN_LENGTH, type User } from '../../protocol/index.js';

const ALGORITHM = 'HS256';
/** Guest tokens last a day: long enough for a demo session, short enough not to pile up. */
const GUEST_TOKEN_LIFETIME = '24h';

export type TokenCheck = { ok: true; user: User } | { ok: false; reason: 'missing' | 'invalid' };

/**
 * Tokens already verified, kept until they expire: a client provisions, joins and re-joins with
 * the same token, and an HMAC check is most of what a provisioning request costs. Bounded; the
 * oldest go first. A token is kept until its `exp`, at most an hour; one without `exp` a minute.
 */
const VERIFIED_MAX = 10_000;
const VERIFIED_NO_EXP_MS = 60_000;
const VERIFIED_LONGEST_MS = 3_600_000;

export class TokenService {
  /** A KeyObject: jose checks HMACs with node:crypto directly, without importing the key each time. */
  readonly #key: KeyObject;
  readonly #verified = new Map<string, { user: User; until: number }>();

  constructor(secret: string) {
    if (secret.length < 16) throw new Error('the JWT secret must be at least 16 characters');
    this.#key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  /** A random secret for dev mode: tokens die with the process, which is what dev wants. */
  static generateSecret(): string {
    return randomBytes(32).toString('base64url');
  }

  /** Signs a token for a user; `expiresIn` is a jose time span ('24h', '10m') or a date in seconds. */
  async sign(user: User, expiresIn: string | number = GUEST_TOKEN_LIFETIME): Promise<string> {
    const claims: Record<string, string> = { name: user.name };
    if (user.avatarUrl) claims.avatarUrl = user.avatarUrl;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: ALGORITHM })
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(this.#key);
  }

  /** Issues a guest identity: a fresh user id and a token naming it. */
  async issueGuest(name: string, avatarUrl?: string): Promise<{ accessToken: string; user: User }> {
    const user: User = { id: randomUUID(), name, ...(avatarUrl ? { avatarUrl } : {}) };
    return { accessToken: await this.sign(user), user };
  }

  async verify(token: string | undefined | null): Promise<TokenCheck> {
    if (!token) return { ok: false, reason: 'missing' };
    if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'invalid' };
    const now = Date.now();
    const known = this.#verified.get(token);
    if (known && known.until > now) return { ok: true, user: known.user };
    if (known) this.#verified.delete(token);
    try {
      const { payload } = await jwtVerify(token, this.#key, { algorithms: [ALGORITHM] });
      const id = payload.sub;
      if (typeof id !== 'string' || !ID_PATTERN.test(id)) return { ok: false, reason: 'invalid' };
      const name = typeof payload.name === 'string' && payload.name.length > 0 ? payload.name.slice(0, 64) : id;
      const avatarUrl =
        typeof payload.avatarUrl === 'string' && payload.avatarUrl.length <= 2048 ? payload.avatarUrl : undefined;
      const user: User = { id, name, ...(avatarUrl ? { avatarUrl } : {}) };
      const until = typeof payload.exp === 'number' ? payload.exp * 1000 : now + VERIFIED_NO_EXP_MS;
      if (this.#verified.size >= VERIFIED_MAX) this.#verified.delete(this.#verified.keys().next().value as string);
      this.#verified.set(token, { user, until: Math.min(until, now + VERIFIED_LONGEST_MS) });
      return { ok: true, user };
    } catch {
      return { ok: false, reason: 'invalid' };
    }
  }
}
