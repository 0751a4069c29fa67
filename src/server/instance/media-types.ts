/** Types shared by the halves of the host's media signaling. */
import type { Consumer } from '../sfu/consumer.js';
import type { DataConsumer, DataProducer } from '../sfu/data-channels.js';
import type { Producer } from '../sfu/producer.js';
import type { WebRtcTransport } from '../sfu/webrtc-transport.js';
import type { ActionCache } from './action-cache.js';

/**
 * What the media side needs of a peer in a room (a RoomMember): it outlives any one socket, so
 * what a peer made survives a dropped socket that resumes.
 */
export interface MediaPeer {
  readonly peerId: string;
  readonly peerIndex: number;
  /** Still in the instance (false once it left). */
  readonly open: boolean;
  write(data: unknown): void;
}

/** What the media side needs of an instance host's room. */
export interface MediaRoom {
  record: { id: string; hostPeerId: string; kind: 'world' | 'media' };
  peers: Map<string, MediaPeer>;
  cache: ActionCache;
}

/** What one peer made; all of it closes when the peer leaves the instance. */
export interface PeerMedia {
  transports: Map<string, WebRtcTransport>;
  pendingTransports: number;
  producers: Map<string, Producer>;
  consumers: Map<string, Consumer>;
  dataProducers: Map<string, DataProducer>;
  dataConsumers: Map<string, DataConsumer>;
  /** Set while the peer itself closes something, so no notice goes back to it. */
  closingByRequest: Set<string>;
}

export type Reply = (reply: Record<string, unknown> & { type: string }) => void;

export const MEDIA_LIMITS = {
  transportsPerPeer: 4,
  producersPerTransport: 8,
  dataProducersPerTransport: 8,
  consumersPerPeer: 256,
} as const;
