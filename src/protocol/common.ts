/** Building blocks shared by the wire schemas: ids, room codes and size limits. */
import * as v from 'valibot';

/** Location, channel, instance and user ids: UUIDs in iR Engine, short slugs in dev mode. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const Id = v.pipe(v.string(), v.regex(ID_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -'));

/** Room codes: 6 digits from 1 to 9 (never 0), as iR Engine makes them. */
export const ROOM_CODE_PATTERN = /^[1-9]{6}$/;
export const RoomCode = v.pipe(v.string(), v.regex(ROOM_CODE_PATTERN, 'must be 6 digits from 1 to 9'));

/** A peerID: one UUID per browser tab. */
export const PeerId = v.pipe(v.string(), v.uuid('must be a UUID'));

/** A JWT, bounded so a client cannot make the server parse megabytes. */
export const MAX_TOKEN_LENGTH = 4096;
export const Token = v.pipe(v.string(), v.minLength(1, 'is empty'), v.maxLength(MAX_TOKEN_LENGTH, 'is too long'));

export const DisplayName = v.pipe(
  v.string(),
  v.trim(),
  v.minLength(1, 'is empty'),
  v.maxLength(64, 'is longer than 64 characters'),
);
export const AvatarUrl = v.pipe(v.string(), v.maxLength(2048, 'is too long'), v.url('must be a URL'));

export const Topology = v.picklist(['sfu', 'p2p']);
export type Topology = v.InferOutput<typeof Topology>;

/** Bounds of what crosses the wire; the server refuses more. */
export const Limits = {
  /** Longest query string the server reads, in characters. */
  maxQueryLength: 8192,
  /** Largest HTTP body the server reads, in bytes. */
  maxBodyBytes: 16 * 1024,
  /** Largest socket frame the server reads, in bytes. */
  maxFrameBytes: 128 * 1024,
  /** Most actions in one socket frame. */
  maxActionsPerFrame: 256,
} as const;
