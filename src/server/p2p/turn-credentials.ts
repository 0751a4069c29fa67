/**
 * Time-limited TURN credentials in coturn's REST scheme (`--use-auth-secret`): the username is
 * `<unix expiry>:<user id>`, the credential base64(HMAC-SHA1(secret, username)); coturn checks both
 * without asking us.
 */
import { createHmac } from 'node:crypto';
import type { IceServer } from '../../protocol/index.js';

export interface TurnOptions {
  /** coturn's `--static-auth-secret`. */
  secret: string;
  /** `turn:host:port` URLs (and `turns:` / `stun:` ones) handed to clients. */
  urls: string[];
  /** How long credentials stay valid; default a day. */
  ttlSeconds?: number;
}

export const DEFAULT_TURN_TTL_SECONDS = 24 * 60 * 60;

export function turnCredentials(
  secret: string,
  userId: string,
  ttlSeconds: number = DEFAULT_TURN_TTL_SECONDS,
  nowMs: number = Date.now(),
): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${userId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

/** The ICE servers a P2P answer carries for `userId`: the TURN server with fresh credentials, or none. */
export function iceServersFor(turn: TurnOptions | undefined, userId: string): IceServer[] {
  if (!turn || turn.urls.length === 0) return [];
  return [{ urls: [...turn.urls], ...turnCredentials(turn.secret, userId, turn.ttlSeconds) }];
}
