/** Finds the ir-rooms package directory, the same from sources (tsx) and from dist/node. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): { root: string; version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ir-rooms') return { root: dir, version: pkg.version ?? '0.0.0' };
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the ir-rooms package.json above the server sources');
    dir = parent;
  }
}

const found = findRoot();
export const PACKAGE_ROOT = found.root;
export const PACKAGE_VERSION = found.version;
