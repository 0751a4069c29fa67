/** The one module that imports @lit-labs/signals: the rest of the kit depends on these names only. */
import { Signal } from '@lit-labs/signals';

export { computed, SignalWatcher, signal, watch } from '@lit-labs/signals';

/** A signal that can be written. */
export type WritableSignal<T> = Signal.State<T>;
/** A signal that can only be read (a state signal or a computed). */
export interface ReadonlySignal<T> {
  get(): T;
}

/** Runs `fn` now and whenever a signal it read changes, until the returned function is called. */
export function effect(fn: () => void): () => void {
  let scheduled = false;
  const computation = new Signal.Computed(fn);
  const watcher = new Signal.subtle.Watcher(() => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      for (const pending of watcher.getPending()) pending.get();
      watcher.watch();
    });
  });
  watcher.watch(computation);
  computation.get();
  return () => watcher.unwatch(computation);
}
