/** The page's default wiring of a connection: one HTTP provisioner and one guest-token cache per page. */

import type { ConnectionState, InstanceSpec } from '../core/instance-spec.js';
import { HttpProvisioner } from '../provisioning/http-provisioner.js';
import { TokenSource } from '../provisioning/token-provider.js';
import { loadTransport, type TransportLoader } from '../transports/registry.js';
import { type ConnectionObserver, InstanceConnection, type InstanceConnectionOptions } from './instance-connection.js';

let shared: { provisioner: HttpProvisioner; tokens: TokenSource } | undefined;

/**
 * The built-in adapters. Imported from here, the chunk every join loads first, so the code both
 * adapters share (the instance socket, msgpack, the wire schemas) ships in this chunk, not a third.
 */
const builtInTransports = new Map<string, TransportLoader>([
  ['mediasoup', () => import('../transports/mediasoup/mediasoup-adapter.js')],
  ['p2p', () => import('../transports/p2p/p2p-adapter.js')],
]);
/** The adapter an app registered under `name`, else the built-in. */
export const loadTransportOrBuiltIn = (name: string) => loadTransport(name, builtInTransports);

/** `reportedState`: what the observer was already told (lazy-connection.ts reports `provisioning` first). */
export function createInstanceConnection(
  spec: InstanceSpec,
  observer: ConnectionObserver,
  peerID: string,
  reportedState?: ConnectionState,
): InstanceConnection {
  shared ??= { provisioner: new HttpProvisioner(), tokens: new TokenSource() };
  const options: InstanceConnectionOptions = { ...shared, loadTransport: loadTransportOrBuiltIn, peerID };
  if (reportedState) options.reportedState = reportedState;
  return new InstanceConnection(spec, observer, options);
}
