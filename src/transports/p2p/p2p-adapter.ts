/**
 * The P2P adapter. Presence always comes from the instance socket (PeerJS close events are
 * unreliable); PeerJS data and media arrive with issues 3 and 4.
 */
import { connectInstanceSocket } from '../instance-socket/instance-socket.js';
import type { TransportAdapter } from '../transport-adapter.js';

const p2pAdapter: TransportAdapter = {
  name: 'p2p',
  connect: (instance, context) => connectInstanceSocket(instance, context),
};

export default p2pAdapter;
