/**
 * The SFU adapter. For now it joins through the instance socket (handshake, presence, heartbeat);
 * mediasoup-client media and data arrive with issues 3 and 4.
 */
import { connectInstanceSocket } from '../instance-socket/instance-socket.js';
import type { TransportAdapter } from '../transport-adapter.js';

const mediasoupAdapter: TransportAdapter = {
  name: 'mediasoup',
  connect: (instance, context) => connectInstanceSocket(instance, context),
};

export default mediasoupAdapter;
