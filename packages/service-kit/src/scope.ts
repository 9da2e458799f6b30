/**
 * The house lifetime contract: every long-lived object (server, session, participant, forwarder) has an idempotent
 * `close(reason?)`, a `closed` promise, and `[Symbol.asyncDispose]`.
 */
export interface Lifetime extends AsyncDisposable {
  /** Starts closing (idempotent); resolves once fully closed. */
  close(reason?: unknown): Promise<void>;
  /** Resolves (never rejects) once closed. */
  readonly closed: Promise<void>;
}

/** A cleanup registered with {@link Scope.defer}. */
export type Cleanup = () => void | PromiseLike<void>;

/** Reports a cleanup that threw; close() carries on with the others. */
export type CleanupErrorHandler = (error: unknown, scope: string) => void;

export interface ScopeOptions {
  /** Used in error reports. */
  name?: string;
  /** Where failed cleanups are reported. Children inherit their parent's. Default: a process warning. */
  onError?: CleanupErrorHandler;
}

function defaultCleanupError(error: unknown, scope: string): void {
  process.emitWarning(
    `cleanup in scope "${scope}" failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    'CleanupError',
  );
}

type Entry = { kind: 'cleanup'; run: Cleanup } | { kind: 'child'; scope: Scope };

/**
 * Owns resources and closes them in reverse order of acquisition. Register cleanup where the resource is acquired:
 * `const dec = new VideoDecoder(...); scope.defer(() => dec.close())`. Child scopes are closed by their parent;
 * a child closed on its own leaves its parent. `signal` aborts (with the close reason) as closing starts, so
 * async work started under the scope stops too.
 */
export class Scope implements Lifetime {
  readonly name: string;
  readonly #entries: Entry[] = [];
  readonly #controller = new AbortController();
  readonly #onError: CleanupErrorHandler;
  readonly #closed = Promise.withResolvers<undefined>();
  #closing: Promise<void> | undefined;
  #detach: (() => void) | undefined;

  constructor(options: ScopeOptions = {}) {
    this.name = options.name ?? 'scope';
    this.#onError = options.onError ?? defaultCleanupError;
  }

  /** Aborts with the close reason once closing starts. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** True once close() has been called. */
  get isClosing(): boolean {
    return this.#closing !== undefined;
  }

  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /**
   * Registers a cleanup to run on close, after everything registered later. Returns a function that unregisters
   * it (for resources released early). On a closing scope the cleanup runs right away.
   */
  defer(cleanup: Cleanup): () => void {
    if (this.#closing !== undefined) {
      void this.#run(cleanup);
      return () => undefined;
    }
    const entry: Entry = { kind: 'cleanup', run: cleanup };
    this.#entries.push(entry);
    return () => {
      this.#remove(entry);
    };
  }

  /** Creates a child scope closed (in order) with this one. On a closing scope the child starts closed. */
  child(name?: string): Scope {
    const child = new Scope({ name: name ?? `${this.name}/child`, onError: this.#onError });
    if (this.#closing !== undefined) {
      void child.close(this.#controller.signal.reason);
      return child;
    }
    const entry: Entry = { kind: 'child', scope: child };
    this.#entries.push(entry);
    child.#detach = () => {
      this.#remove(entry);
    };
    return child;
  }

  /** Closes children and runs cleanups in reverse order; idempotent; never rejects (failures go to onError). */
  close(reason?: unknown): Promise<void> {
    this.#closing ??= this.#closeOnce(reason);
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #closeOnce(reason: unknown): Promise<void> {
    this.#detach?.();
    this.#controller.abort(reason ?? new Error(`scope "${this.name}" closed`));
    while (this.#entries.length > 0) {
      const entry = this.#entries.pop();
      if (entry === undefined) break;
      if (entry.kind === 'child') await entry.scope.close(reason);
      else await this.#run(entry.run);
    }
    this.#closed.resolve(undefined);
  }

  async #run(cleanup: Cleanup): Promise<void> {
    try {
      await cleanup();
    } catch (error) {
      try {
        this.#onError(error, this.name);
      } catch (reportError) {
        defaultCleanupError(reportError, this.name);
      }
    }
  }

  #remove(entry: Entry): void {
    const index = this.#entries.indexOf(entry);
    if (index >= 0) this.#entries.splice(index, 1);
  }
}
