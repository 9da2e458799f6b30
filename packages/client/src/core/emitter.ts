// Typed events as tuple maps ({ participantJoined: [Participant] }). A throwing listener is reported through the
// `onListenerError` hook and never stops the others or the emitter.
export type EventMap<M> = { [K in keyof M]: unknown[] };
export type Listener<A extends unknown[]> = (...args: A) => void;
type AnyListener = (...args: unknown[]) => void;

export class Emitter<M extends EventMap<M>> {
  readonly #listeners = new Map<keyof M, Set<AnyListener>>();
  readonly #onListenerError: (error: unknown, event: keyof M) => void;

  constructor(
    onListenerError: (error: unknown, event: keyof M) => void = (error) => {
      queueMicrotask(() => {
        throw error;
      });
    },
  ) {
    this.#onListenerError = onListenerError;
  }

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof M>(event: K, listener: Listener<M[K]>): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, (set = new Set()));
    set.add(listener as unknown as AnyListener);
    return () => {
      this.off(event, listener);
    };
  }

  once<K extends keyof M>(event: K, listener: Listener<M[K]>): () => void {
    const off = this.on(event, (...args) => {
      off();
      listener(...args);
    });
    return off;
  }

  off<K extends keyof M>(event: K, listener: Listener<M[K]>): void {
    this.#listeners.get(event)?.delete(listener as unknown as AnyListener);
  }

  emit<K extends keyof M>(event: K, ...args: M[K]): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as unknown as Listener<M[K]>)(...args);
      } catch (error) {
        this.#onListenerError(error, event);
      }
    }
  }

  listenerCount(event: keyof M): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  removeAll(): void {
    this.#listeners.clear();
  }
}
