/**
 * The SFU adapter (a lazily loaded chunk: the only module that pulls in mediasoup-client). It
 * joins through the instance socket and carries data and media through the instance's SFU.
 */
import type { TransportAdapter } from '../transport-adapter.js';
import { SfuLink } from './sfu-link.js';

const mediasoupAdapter: TransportAdapter = {
  name: 'mediasoup',
  connect: (instance, context) => new SfuLink(instance, context).start(),
};

export default mediasoupAdapter;
