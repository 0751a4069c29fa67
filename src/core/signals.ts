/**
 * The one module that imports a signals library (@preact/signals-core): the rest of the kit, and
 * apps reading `instanceRegistry`, see only these names and the `get()` / `set()` shape.
 *
 * `SignalWatcher` makes a Lit element re-render when a signal read during its last update changes,
 * as @lit-labs/signals' mixin of that name does, at half the weight: each update runs inside an
 * effect that records what it reads; the first change after that requests the next update, which
 * records afresh. Only a connected element watches, so a removed one is not kept alive by the
 * signals it read.
 */
import { effect, computed as preactComputed, signal as preactSignal, type Signal } from '@preact/signals-core';
import type { ReactiveElement } from 'lit';

/** A signal that can only be read (a state signal or a computed). */
export interface ReadonlySignal<T> {
  get(): T;
}

/** A signal that can be written. */
export interface WritableSignal<T> extends ReadonlySignal<T> {
  set(value: T): void;
}

class State<T> implements WritableSignal<T> {
  readonly #signal: Signal<T>;

  constructor(value: T) {
    this.#signal = preactSignal(value);
  }

  get(): T {
    return this.#signal.value;
  }

  /** Readers are told only when the value differs (`!==`) from the current one. */
  set(value: T): void {
    this.#signal.value = value;
  }
}

class Computed<T> implements ReadonlySignal<T> {
  readonly #signal: { readonly value: T };

  constructor(compute: () => T) {
    this.#signal = preactComputed(compute);
  }

  get(): T {
    return this.#signal.value;
  }
}

export function signal<T>(value: T): WritableSignal<T> {
  return new State(value);
}

/** A signal derived from others, computed when read after one of them changed. */
export function computed<T>(compute: () => T): ReadonlySignal<T> {
  return new Computed(compute);
}

// biome-ignore lint/suspicious/noExplicitAny: the mixin constructor signature TypeScript requires
type ElementClass = abstract new (...args: any[]) => ReactiveElement;

/** The element class `base`, re-rendering on the signals its updates read; same type, as Lit's mixins. */
export function SignalWatcher<Base extends ElementClass>(base: Base): Base {
  abstract class SignalWatching extends base {
    #stopWatching: (() => void) | undefined;

    override performUpdate(): void {
      this.#stopWatching?.();
      this.#stopWatching = undefined;
      if (!this.isConnected) {
        super.performUpdate();
        return;
      }
      let recorded = false;
      this.#stopWatching = effect(() => {
        if (!recorded) {
          recorded = true;
          super.performUpdate();
        } else {
          // Reads nothing: this effect is done, and the update it asks for records anew.
          this.requestUpdate();
        }
      });
    }

    override connectedCallback(): void {
      super.connectedCallback();
      // Signals may have changed while it was not watching.
      this.requestUpdate();
    }

    override disconnectedCallback(): void {
      super.disconnectedCallback();
      this.#stopWatching?.();
      this.#stopWatching = undefined;
    }
  }
  return SignalWatching as unknown as Base;
}
