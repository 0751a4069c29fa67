/** What names an instance to join, and the shapes of state the kit reports about one. */
import type { IceServer, ProvisionedInstance, Topology } from '../protocol/index.js';
import { namesOf } from '../protocol/names.js';
import type { IrError } from './errors.js';

export type InstanceKind = 'world' | 'media';
export type TokenProvider = () => Promise<string>;

/** Everything needed to provision and join one instance; equal specs share one connection. */
export interface InstanceSpec {
  kind: InstanceKind;
  /** Base URL of the API, e.g. `https://rooms.example/api`. */
  apiUrl: string;
  /** World instances: the location. */
  locationId?: string;
  /** Media instances: the channel. */
  channelId?: string;
  instanceId?: string;
  roomCode?: string;
  sceneId?: string;
  createPrivateRoom?: boolean;
  topology?: Topology;
  /** A fixed token; wins over `tokenProvider`. Without both, the kit logs in as a guest. */
  token?: string;
  tokenProvider?: TokenProvider;
  displayName?: string;
  avatarUrl?: string;
  iceServers?: IceServer[];
}

export const ConnectionState = namesOf([
  'idle',
  'provisioning',
  'connecting',
  'connected',
  'reconnecting',
  'disconnected',
  'failed',
]);
export type ConnectionState = keyof typeof ConnectionState;

/** Another peer in an instance. */
export interface Peer {
  peerID: string;
  userID: string;
  name: string;
  avatarUrl?: string;
  peerIndex: number;
}

/** A provisioned instance as elements show it. */
export interface InstanceInfo {
  id: string;
  roomCode: string;
  p2p: boolean;
  ipAddress?: string;
  port?: number;
  locationId?: string;
  channelId?: string;
}

/** A message another peer sent. */
export interface PeerMessage {
  from: string;
  channel: string;
  data: unknown;
}

export interface SendOptions {
  /** The app's channel name, handed back in `ir-message`; default `default`. */
  channel?: string;
  /** The peerIDs it is for; absent: every other peer. */
  to?: string | string[];
  /** Ordered and retransmitted (default true), or unordered with at most one retransmission. */
  reliable?: boolean;
}

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  reason?: string;
  error?: IrError | null;
  /** While `reconnecting`: the try of this recovery, from 1. */
  attempt?: number;
}

export function toInstanceInfo(spec: InstanceSpec, instance: ProvisionedInstance): InstanceInfo {
  const info: InstanceInfo = { id: instance.id, roomCode: instance.roomCode, p2p: instance.p2p };
  if (instance.ipAddress !== undefined) info.ipAddress = instance.ipAddress;
  if (instance.port !== undefined) info.port = instance.port;
  if (spec.locationId !== undefined) info.locationId = spec.locationId;
  const channelId = spec.channelId ?? instance.channelId;
  if (channelId !== undefined) info.channelId = channelId;
  return info;
}

const providerIds = new WeakMap<TokenProvider, number>();
let nextProviderId = 1;

/** A stable key for a spec: equal keys share one connection. Functions are keyed by identity. */
export function specKey(spec: InstanceSpec): string {
  let provider: number | null = null;
  if (spec.tokenProvider) {
    provider = providerIds.get(spec.tokenProvider) ?? nextProviderId++;
    providerIds.set(spec.tokenProvider, provider);
  }
  return JSON.stringify([
    spec.kind,
    spec.apiUrl,
    spec.locationId ?? null,
    spec.channelId ?? null,
    spec.instanceId ?? null,
    spec.roomCode ?? null,
    spec.sceneId ?? null,
    spec.createPrivateRoom === true,
    spec.topology ?? null,
    spec.token ?? null,
    provider,
    spec.displayName ?? null,
    spec.avatarUrl ?? null,
    spec.iceServers ?? null,
  ]);
}
