/**
 * What one process serves. `all` is the single process; `api` and `instance` split it so the
 * instance servers (sockets, SFU, PeerServer) scale apart from the provisioning API, over a shared
 * Redis. The API never carries a socket or media: its answers name the instance server.
 */
export const SERVER_ROLES = ['all', 'api', 'instance'] as const;
export type ServerRole = (typeof SERVER_ROLES)[number];

export interface RoleParts {
  /** Provisioning, guest logins, kicks, the demo page and the browser bundle. */
  api: boolean;
  /**
   * Instance sockets at /primus, the SFU, the PeerServer of its P2P instances, the beacon leave,
   * and a registration as an instance server (with a shared store).
   */
  instance: boolean;
}

export function roleParts(role: ServerRole): RoleParts {
  return { api: role !== 'instance', instance: role !== 'api' };
}

/** Throws an Error saying what is missing when a role cannot run with these options. */
export function checkRole(role: string, redis: string | undefined): asserts role is ServerRole {
  if (!(SERVER_ROLES as readonly string[]).includes(role)) {
    throw new Error(`role must be one of ${SERVER_ROLES.join(', ')}, not ${role}`);
  }
  if (role !== 'all' && redis === undefined) {
    throw new Error(`role ${role} needs a shared store: pass --redis (or IR_ROOMS_REDIS_URL)`);
  }
}
