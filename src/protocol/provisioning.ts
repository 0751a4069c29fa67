/**
 * Provisioning and authentication over HTTP (PROTOCOL.md §1): the query the server accepts,
 * the answers a client accepts (ours and iR Engine's), and the error body.
 */
import * as v from 'valibot';
import { AvatarUrl, DisplayName, Id, PeerId, RoomCode, Token, Topology } from './common.js';
import type { ErrorCode } from './errors.js';

const BooleanString = v.picklist(['true', 'false']);

/**
 * `GET {api}/instance-provision` query, as the server validates it. Exactly one of `locationId`
 * and `channelId`; unknown parameters are refused.
 */
export const ProvisionQuery = v.pipe(
  v.strictObject({
    token: Token,
    locationId: v.optional(Id),
    channelId: v.optional(Id),
    instanceId: v.optional(Id),
    roomCode: v.optional(RoomCode),
    createPrivateRoom: v.optional(BooleanString),
    sceneId: v.optional(Id),
    topology: v.optional(Topology),
  }),
  v.check(
    (q) => (q.locationId === undefined) !== (q.channelId === undefined),
    'exactly one of locationId and channelId is required',
  ),
);
export type ProvisionQuery = v.InferOutput<typeof ProvisionQuery>;

export const IceServer = v.object({
  urls: v.union([v.string(), v.array(v.string())]),
  username: v.optional(v.string()),
  credential: v.optional(v.string()),
});
export type IceServer = v.InferOutput<typeof IceServer>;

export const PeerServerOptions = v.object({
  host: v.string(),
  port: v.number(),
  path: v.string(),
  secure: v.boolean(),
  key: v.optional(v.string()),
});
export type PeerServerOptions = v.InferOutput<typeof PeerServerOptions>;

/**
 * A provisioning answer as a client accepts it. iR Engine may send the port as a string and
 * answers all fields null when no server is free (see `isEmptyInstanceAnswer`).
 */
export const InstanceAnswer = v.object({
  id: v.nullish(v.string()),
  ipAddress: v.nullish(v.string()),
  port: v.nullish(v.union([v.number(), v.pipe(v.string(), v.regex(/^\d{1,5}$/))])),
  roomCode: v.nullish(v.string()),
  p2p: v.nullish(v.boolean()),
  podName: v.nullish(v.string()),
  channelId: v.nullish(v.string()),
  iceServers: v.nullish(v.array(IceServer)),
  peerServer: v.nullish(PeerServerOptions),
});
export type InstanceAnswer = v.InferOutput<typeof InstanceAnswer>;

/** iR Engine's "no server free" answer: every field null. */
export function isEmptyInstanceAnswer(answer: InstanceAnswer): boolean {
  return answer.id == null;
}

/** What the reference server answers to a provisioning request. */
export interface ProvisionedInstance {
  id: string;
  ipAddress?: string;
  port?: number;
  roomCode: string;
  p2p: boolean;
  /** World instances: the channel of their media (ours; iR Engine uses `GET /channel`). */
  channelId?: string;
  iceServers?: IceServer[];
  peerServer?: PeerServerOptions;
}

/** `POST {api}/authentication` body. */
export const AuthenticationRequest = v.strictObject({
  strategy: v.literal('guest'),
  name: DisplayName,
  avatarUrl: v.optional(AvatarUrl),
});
export type AuthenticationRequest = v.InferOutput<typeof AuthenticationRequest>;

export const User = v.object({
  id: Id,
  name: v.string(),
  avatarUrl: v.optional(v.string()),
});
export type User = v.InferOutput<typeof User>;

export const AuthenticationAnswer = v.object({
  accessToken: Token,
  user: User,
});
export type AuthenticationAnswer = v.InferOutput<typeof AuthenticationAnswer>;

/**
 * The JSON body of every error answer of the reference server. `retryAfter` (seconds) mirrors the
 * `Retry-After` header on 429 and 503.
 */
export interface ErrorBody {
  status: number;
  code: ErrorCode;
  message: string;
  retryAfter?: number;
}

/** Error bodies as a client reads them: ours, or Feathers' `{name, message, code: 404}` (iR Engine). */
export const ErrorAnswer = v.object({
  code: v.optional(v.union([v.string(), v.number()])),
  message: v.optional(v.string()),
  status: v.optional(v.number()),
  retryAfter: v.optional(v.number()),
});
export type ErrorAnswer = v.InferOutput<typeof ErrorAnswer>;

/** `GET /api/instances` item. */
export interface InstanceSummary {
  id: string;
  locationId: string | null;
  channelId: string | null;
  roomCode: string;
  p2p: boolean;
  private: boolean;
  /** Peers whose sockets have joined. */
  peers: number;
  /** Joined peers plus live reservations. */
  seats: number;
  capacity: number;
  /** The instance server hosting it, `host:port`. */
  server: string;
}

/** `GET /api/health`. */
export interface HealthAnswer {
  status: 'ok' | 'shutting-down';
  instances: number;
  /** Joined peers, the held ones included. */
  peers: number;
  /** Ours: peers whose socket dropped, held for a resume (PROTOCOL.md §4). */
  heldPeers?: number;
  uptimeSeconds: number;
  version: string;
  /** Ours: live objects of the SFU media engine; they return to 0 when everyone has left. */
  transports?: number;
  producers?: number;
  consumers?: number;
  dataProducers?: number;
  dataConsumers?: number;
}

/**
 * `POST {instance server}/api/instances/:id/leave` body (ours): the leave a page going away sends
 * with `navigator.sendBeacon`, which outlives the page where a socket's last frame may not.
 */
export const LeaveRequest = v.strictObject({ peerID: PeerId, token: Token });
export type LeaveRequest = v.InferOutput<typeof LeaveRequest>;

/** The longest kick, in seconds (a year); longer bans belong in the deployment's user system. */
export const MAX_KICK_SECONDS = 365 * 24 * 3600;

/**
 * `POST {api}/instances/:id/kick` body (ours, admin token): the peer or the user to remove, and
 * until when it is refused: an ISO time, or seconds from now.
 */
export const KickRequest = v.pipe(
  v.strictObject({
    peerID: v.optional(PeerId),
    userID: v.optional(Id),
    until: v.optional(
      v.union([
        v.pipe(
          v.string(),
          v.regex(/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/, 'must be an ISO time like 2030-01-01T00:00:00Z'),
          v.check((text) => !Number.isNaN(Date.parse(text)), 'is not a valid time'),
        ),
        v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_KICK_SECONDS)),
      ]),
    ),
  }),
  v.check((body) => body.peerID !== undefined || body.userID !== undefined, 'peerID or userID is required'),
);
export type KickRequest = v.InferOutput<typeof KickRequest>;

/** What a kick answers: the joined sockets closed now (a world instance's media channel included) and when the refusal ends. */
export interface KickAnswer {
  instanceId: string;
  kicked: number;
  until: string;
}
