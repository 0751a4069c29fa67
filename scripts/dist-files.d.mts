// Types of scripts/dist-files.mjs (plain JavaScript, so that .size-limit.mjs can load it without tsx).
export interface DistFileSets {
  core: string[];
  connection: string[];
  shared: string[];
  p2p: string[];
  sfu: string[];
  p2pAdapter: string[];
  sfuAdapter: string[];
  statusBar: string[];
  mediaChannel: string[];
}

export function distFileSets(root: string): DistFileSets;
