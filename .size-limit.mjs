// Size budget of the CDN build (issue 6), gzip summed per file, as a page downloads it (the file
// sets: scripts/dist-files.mjs). Run after `npm run build`; `npm test` does.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distFileSets } from './scripts/dist-files.mjs';

const sets = distFileSets(dirname(fileURLToPath(import.meta.url)));

export default [
  { name: 'core (ir-rooms.js)', path: sets.core, limit: '16 kB', gzip: true },
  { name: 'core + P2P', path: sets.p2p, limit: '45 kB', gzip: true },
  { name: 'core + SFU', path: sets.sfu, limit: '70 kB', gzip: true },
  // Without limits, for reading the table: where the totals come from.
  { name: 'connection chunk (provisioning, loaded on the first join)', path: sets.connection, gzip: true },
  { name: 'chunks both adapters load (instance socket, msgpack)', path: sets.shared, gzip: true },
  { name: 'P2P adapter chunk', path: sets.p2pAdapter, gzip: true },
  { name: 'SFU adapter chunk', path: sets.sfuAdapter, gzip: true },
  { name: '<ir-world-instance> status bar (loaded unless headless)', path: sets.statusBar, gzip: true },
  { name: '<ir-media-channel> body (loaded on insertion)', path: sets.mediaChannel, gzip: true },
];
