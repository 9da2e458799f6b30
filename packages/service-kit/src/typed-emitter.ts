/** An event map: event name to argument tuple, e.g. `{ joined: [ParticipantId, string] }`. */
export type EventMap<E> = { [K in keyof E]: readonly unknown[] };

/** A listener for the arguments of one event. */
export type Listener<A extends readonly unknown[]> = (...args: A) => unknown;

/** Called when a listener throws or its returned promise rejects. */
export type ListenerErrorHandler = (error: unknown, event: string) => void;

export interface TypedEmitterOptions {
  /** Where listener failures go (usually `(err, event) => logger.error({ err, event }, 'listener failed')`). */
  onListenerError?: ListenerErrorHandler;
}

function defaultListenerError(error: unknown, event: string): void {
  process.emitWarning(
    `listener for "${event}" failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    'ListenerError',
  );
}

/**
 * The one event emitter base: events are a tuple map, so `emit('joined', id, name)` and its listeners are typed.
 * A listener that throws (or returns a rejecting promise) is reported to `onListenerError` and never stops the
 * emitter or the other listeners.
 *
 * @example
 * class Room extends TypedEmitter<{ joined: [ParticipantId, string]; closed: [] }> {}
 */
export class TypedEmitter<E extends EventMap<E>> {
  readonly #listeners = new Map<keyof E, Listener<readonly unknown[]>[]>();
  readonly #onError: ListenerErrorHandler;

  constructor(options: TypedEmitterOptions = {}) {
    this.#onError = options.onListenerError ?? defaultListenerError;
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const list = this.#listeners.get(event) ?? [];
    list.push(listener as Listener<readonly unknown[]>);
    this.#listeners.set(event, list);
    return () => {
      this.off(event, listener);
    };
  }

  /** Adds a listener that runs at most once; returns a function that removes it. */
  once<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const off = this.on(event, (...args: E[K]) => {
      off();
      return listener(...args);
    });
    return off;
  }

  /** Removes one registration of `listener` (a listener added through `once` is removed by its returned function). */
  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    const list = this.#listeners.get(event);
    if (list === undefined) return;
    const index = list.indexOf(listener as Listener<readonly unknown[]>);
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) this.#listeners.delete(event);
  }

  /** Calls every listener of `event` in order with `args`; returns whether there was any. */
  emit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    const list = this.#listeners.get(event);
    if (list === undefined || list.length === 0) return false;
    for (const listener of [...list]) {
      try {
        const result = listener(...args);
        if (result instanceof Promise) {
          result.catch((error: unknown) => {
            this.#report(error, event);
          });
        }
      } catch (error) {
        this.#report(error, event);
      }
    }
    return true;
  }

  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** Removes all listeners of `event`, or of every event. */
  removeAllListeners(event?: keyof E): void {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
  }

  #report(error: unknown, event: keyof E): void {
    try {
      this.#onError(error, String(event));
    } catch (reportError) {
      // The reporter itself failed: do not throw into emit(); surface it as a process warning instead.
      defaultListenerError(reportError, String(event));
    }
  }
}
