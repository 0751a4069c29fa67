/**
 * Transport adapters by name: those an app registers, over the built-ins the connection code
 * passes in (src/connection/default-connection.ts). Each loads with `import()`, so a page downloads
 * only the adapter its instances use.
 */
import { IrError } from '../core/errors.js';
import type { TransportAdapter } from './transport-adapter.js';

export type TransportLoader = () => Promise<TransportAdapter | { default: TransportAdapter }>;

const loaders = new Map<string, TransportLoader>();
const loaded = new Map<string, Promise<TransportAdapter>>();

/** Registers the adapter for `name`, over a built-in of that name; the loader runs on first use. */
export function registerTransport(name: string, loader: TransportLoader): void {
  loaders.set(name, loader);
  loaded.delete(name);
}

export function loadTransport(
  name: string,
  builtIns: ReadonlyMap<string, TransportLoader> = new Map(),
): Promise<TransportAdapter> {
  let adapter = loaded.get(name);
  if (!adapter) {
    const loader = loaders.get(name) ?? builtIns.get(name);
    if (!loader) return Promise.reject(new IrError('UNSUPPORTED', `no transport named "${name}" is registered`));
    adapter = loader().then((module) => ('default' in module ? module.default : module));
    // A failed chunk load (offline for a moment) may succeed next time.
    adapter.catch(() => loaded.delete(name));
    loaded.set(name, adapter);
  }
  return adapter;
}
