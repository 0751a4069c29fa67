/** The page's default wiring of a connection: one HTTP provisioner and one guest-token cache per page. */

import type { InstanceSpec } from '../core/instance-spec.js';
import { HttpProvisioner } from '../provisioning/http-provisioner.js';
import { TokenSource } from '../provisioning/token-provider.js';
import { loadTransport } from '../transports/registry.js';
import { type ConnectionObserver, InstanceConnection } from './instance-connection.js';

let shared: { provisioner: HttpProvisioner; tokens: TokenSource } | undefined;

export function createInstanceConnection(
  spec: InstanceSpec,
  observer: ConnectionObserver,
  peerID: string,
): InstanceConnection {
  shared ??= { provisioner: new HttpProvisioner(), tokens: new TokenSource() };
  return new InstanceConnection(spec, observer, { ...shared, loadTransport, peerID });
}
