/**
 * The instance-server socket (PROTOCOL.md §2): the connection query, the handshake messages and
 * the action frames that follow it.
 */
import * as v from 'valibot';
import { Id, Limits, PeerId, RoomCode, Token } from './common.js';
import { ErrorCode } from './errors.js';

/** Codes the instance socket may send in `{status: "fail", error}`. */
export const HandshakeFailCode = {
  MISSING_ACCESS_TOKEN: ErrorCode.MISSING_ACCESS_TOKEN,
  USER_NOT_FOUND: ErrorCode.USER_NOT_FOUND,
  USER_NOT_AUTHORIZED: ErrorCode.USER_NOT_AUTHORIZED,
  INSTANCE_FULL: ErrorCode.INSTANCE_FULL,
  INTERNAL_ERROR: ErrorCode.INTERNAL_ERROR,
  /** Ours: a `resume` for a peer the server no longer holds (PROTOCOL.md §4); join afresh. */
  NOT_RESUMABLE: ErrorCode.NOT_RESUMABLE,
} as const;
export type HandshakeFailCode = (typeof HandshakeFailCode)[keyof typeof HandshakeFailCode];

/** Path of the Primus endpoint on an instance server. */
export const PRIMUS_PATH = '/primus';

/** Query string of the socket URL, as the server validates it. */
export const SocketQuery = v.pipe(
  v.object({
    peerID: PeerId,
    instanceID: Id,
    token: Token,
    locationId: v.optional(Id),
    channelId: v.optional(Id),
    roomCode: v.optional(RoomCode),
    // iR Engine behind an ingress adds these; Primus adds a cache buster.
    address: v.optional(v.string()),
    port: v.optional(v.string()),
    _primuscb: v.optional(v.string()),
  }),
  v.check(
    (q) => (q.locationId === undefined) !== (q.channelId === undefined),
    'exactly one of locationId and channelId is required',
  ),
);
export type SocketQuery = v.InferOutput<typeof SocketQuery>;

/** Server → client, first message. */
export const InstanceReadyMessage = v.object({ instanceReady: v.boolean() });
export type InstanceReadyMessage = v.InferOutput<typeof InstanceReadyMessage>;

/**
 * Client → server, repeated every 100 ms until a status other than `pending` arrives. `resume` is
 * ours: take over the session this peerID left held when its socket dropped (PROTOCOL.md §4).
 */
export const AuthMessage = v.strictObject({
  accessToken: Token,
  peerID: PeerId,
  inviteCode: v.optional(RoomCode),
  resume: v.optional(v.boolean()),
});
export type AuthMessage = v.InferOutput<typeof AuthMessage>;

/** How often a client repeats its AuthMessage while the answer is pending. */
export const AUTH_RETRY_MS = 100;
/** How often both sides send the `[]` heartbeat, and when a silent peer is dropped. */
export const HEARTBEAT_INTERVAL_MS = 1000;
export const HEARTBEAT_TIMEOUT_MS = 10_000;
/** How long the server has to say `instanceReady`. */
export const INSTANCE_READY_TIMEOUT_MS = 10_000;

/**
 * An action: `type` plus payload fields plus the `$`-prefixed routing fields. Payload fields are
 * checked by the schema of each action type where the receiver uses them.
 */
export const Action = v.looseObject({
  type: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
  $peer: v.optional(v.string()),
  $to: v.optional(v.union([v.string(), v.array(v.string())])),
  $topic: v.optional(v.string()),
  $network: v.optional(v.string()),
  $time: v.optional(v.number()),
  $uuid: v.optional(v.string()),
  $cache: v.optional(v.union([v.boolean(), v.looseObject({})])),
});
export type Action = v.InferOutput<typeof Action>;

/** After the handshake every frame, both ways, is an array of actions; `[]` is the heartbeat. */
export const ActionFrame = v.pipe(v.array(Action), v.maxLength(Limits.maxActionsPerFrame));
export type ActionFrame = v.InferOutput<typeof ActionFrame>;

const ActionType = {
  PEER_JOINED: 'ee.engine.network.PEER_JOINED',
  PEER_LEFT: 'ee.engine.network.PEER_LEFT',
} as const;

export { ActionType };

export const HandshakeSuccess = v.object({
  status: v.literal('success'),
  routerRtpCapabilities: v.optional(v.unknown()),
  peerIndex: v.number(),
  cachedActions: v.array(Action),
  hostPeerID: v.string(),
  /** Ours: how long the server holds this peer after its socket drops; absent or 0, no resume. */
  resumeGraceMs: v.optional(v.number()),
  /** Ours: this answers a `resume`: same peerIndex, same transports and producers. */
  resumed: v.optional(v.boolean()),
});
export type HandshakeSuccess = v.InferOutput<typeof HandshakeSuccess>;

/** Server → client answers to the AuthMessage. */
export const HandshakeStatus = v.variant('status', [
  v.object({ status: v.literal('pending') }),
  HandshakeSuccess,
  v.object({ status: v.literal('fail'), error: v.picklist(Object.values(HandshakeFailCode)) }),
]);
export type HandshakeStatus = v.InferOutput<typeof HandshakeStatus>;

/** `ee.engine.network.PEER_JOINED`; `name` and `avatarUrl` are ours (iR Engine sends neither). */
export const PeerJoined = v.object({
  type: v.literal(ActionType.PEER_JOINED),
  peerID: v.string(),
  peerIndex: v.number(),
  userID: v.string(),
  name: v.optional(v.string()),
  avatarUrl: v.optional(v.string()),
});
export type PeerJoined = v.InferOutput<typeof PeerJoined>;

export const PeerLeft = v.object({
  type: v.literal(ActionType.PEER_LEFT),
  peerID: v.string(),
  userID: v.optional(v.string()),
});
export type PeerLeft = v.InferOutput<typeof PeerLeft>;

/**
 * Ours: the last message the server writes before it closes a socket on purpose, so the client
 * knows whether to reconnect to the same instance or provision again.
 */
export const CloseReason = {
  SERVER_SHUTDOWN: 'SERVER_SHUTDOWN',
  INSTANCE_ENDED: 'INSTANCE_ENDED',
  HEARTBEAT_TIMEOUT: 'HEARTBEAT_TIMEOUT',
  PROTOCOL_ERROR: 'PROTOCOL_ERROR',
  KICKED: 'KICKED',
  REPLACED: 'REPLACED',
} as const;
export type CloseReason = (typeof CloseReason)[keyof typeof CloseReason];

/**
 * Ours, client → server after the handshake: the peer leaves on purpose, right before it closes
 * the socket, so the server announces PEER_LEFT at once instead of holding it for a resume.
 */
export const LeaveMessage = v.object({ leave: v.literal(true) });
export type LeaveMessage = v.InferOutput<typeof LeaveMessage>;

export const CloseMessage = v.object({
  closeReason: v.picklist(Object.values(CloseReason)),
  message: v.optional(v.string()),
});
export type CloseMessage = v.InferOutput<typeof CloseMessage>;
