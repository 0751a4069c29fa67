/** What a location is allowed to be: its capacity and topology, from the config or dev defaults. */
import type { Topology } from '../../protocol/index.js';
import { DEFAULTS, type ServerConfig } from '../options.js';

export interface LocationPolicy {
  capacity: number;
  p2p: boolean;
  /** Unknown to the config: dev mode made it up. */
  adHoc: boolean;
}

/** Seats when the config names none: P2P meshes stay small. */
export function defaultCapacity(p2p: boolean): number {
  return p2p ? DEFAULTS.p2pCapacity : DEFAULTS.defaultCapacity;
}

export class Locations {
  readonly #config: ServerConfig;
  readonly #dev: boolean;

  constructor(config: ServerConfig, dev: boolean) {
    this.#config = config;
    this.#dev = dev;
  }

  /**
   * The policy for a location, or null when it is unknown and this is not dev mode. A topology
   * hint only decides for dev-mode locations; a configured location's topology wins.
   */
  resolve(locationId: string, hint?: Topology): LocationPolicy | null {
    const configured = this.#config.locations?.[locationId];
    if (configured) {
      const p2p = configured.topology === 'p2p';
      return { capacity: configured.maxUsersPerInstance ?? defaultCapacity(p2p), p2p, adHoc: false };
    }
    if (!this.#dev) return null;
    return { capacity: defaultCapacity(hint === 'p2p'), p2p: hint === 'p2p', adHoc: true };
  }

  get dev(): boolean {
    return this.#dev;
  }
}
