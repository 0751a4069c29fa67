/** Types shared by the halves of the host's media signaling. */
import type { Consumer } from '../sfu/consumer.js';
import type { DataConsumer, DataProducer } from '../sfu/data-channels.js';
import type { Producer } from '../sfu/producer.js';
import type { WebRtcTransport } from '../sfu/webrtc-transport.js';
import type { ActionCache } from './action-cache.js';
import type { PeerSession } from './peer-session.js';

/** What the media side needs of an instance host's room. */
export interface MediaRoom {
  record: { id: string; hostPeerId: string; kind: 'world' | 'media' };
  peers: Map<string, PeerSession>;
  cache: ActionCache;
}

/** What one peer's socket made; all of it closes when the socket goes. */
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
