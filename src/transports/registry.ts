/**
 * Transport adapters by name. Built-ins are loaded with `import()` so each is its own chunk and a
 * page downloads only the adapter its instances use.
 */
import { IrError } from '../core/errors.js';
import type { TransportAdapter } from './transport-adapter.js';

export type TransportLoader = () => Promise<TransportAdapter | { default: TransportAdapter }>;

const loaders = new Map<string, TransportLoader>([
  ['mediasoup', () => import('./mediasoup/mediasoup-adapter.js')],
  ['p2p', () => import('./p2p/p2p-adapter.js')],
]);
const loaded = new Map<string, Promise<TransportAdapter>>();

/** Registers (or replaces) the adapter for `name`; the loader runs on first use. */
export function registerTransport(name: string, loader: TransportLoader): void {
  loaders.set(name, loader);
  loaded.delete(name);
}

export function loadTransport(name: string): Promise<TransportAdapter> {
  let adapter = loaded.get(name);
  if (!adapter) {
    const loader = loaders.get(name);
    if (!loader) return Promise.reject(new IrError('UNSUPPORTED', `no transport named "${name}" is registered`));
    adapter = loader().then((module) => ('default' in module ? module.default : module));
    // A failed chunk load (offline for a moment) may succeed next time.
    adapter.catch(() => loaded.delete(name));
    loaded.set(name, adapter);
  }
  return adapter;
}
