/** The one module that imports @lit-labs/signals: the rest of the kit depends on these names only. */
import type { Signal } from '@lit-labs/signals';

export { computed, SignalWatcher, signal, watch } from '@lit-labs/signals';

/** A signal that can be written. */
export type WritableSignal<T> = Signal.State<T>;
/** A signal that can only be read (a state signal or a computed). */
export interface ReadonlySignal<T> {
  get(): T;
}
