/** The provisioning contract: an instance spec and a token in, an instance to connect to out. */
import type { InstanceSpec } from '../core/instance-spec.js';
import type { ProvisionedInstance } from '../protocol/index.js';

export interface ProvisionOptions {
  token: string;
  signal?: AbortSignal;
  /** Retry failures worth retrying, by the provisioner's own policy (default true); false: one try. */
  retry?: boolean;
}

export interface Provisioner {
  provision(spec: InstanceSpec, options: ProvisionOptions): Promise<ProvisionedInstance>;
}
