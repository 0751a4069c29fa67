/**
 * The P2P adapter (PROTOCOL.md §3), its own lazily loaded chunk with PeerJS: presence from the
 * instance socket, data and media straight between peers (see `P2pLink`).
 */
import type { TransportAdapter } from '../transport-adapter.js';
import { P2pLink } from './p2p-link.js';

const p2pAdapter: TransportAdapter = {
  name: 'p2p',
  connect: (instance, context) => new P2pLink(instance, context).start(),
};

export default p2pAdapter;
