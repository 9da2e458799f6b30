// Cleanup registered where a resource is acquired (`scope.defer(() => decoder.close())`), run in reverse order
// exactly once. A failing cleanup does not stop the others; the first failure is returned.
export class Scope {
  #cleanups: (() => void | Promise<void>)[] = [];
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  /** Registers a cleanup; when the scope is already closed it runs at once. Returns a function to run it early. */
  defer(cleanup: () => void | Promise<void>): () => void {
    if (this.#closed) {
      void Promise.resolve()
        .then(cleanup)
        .catch(() => undefined);
      return () => undefined;
    }
    let done = false;
    const once = (): void | Promise<void> => {
      if (done) return;
      done = true;
      return cleanup();
    };
    this.#cleanups.push(once);
    return () => {
      this.#cleanups = this.#cleanups.filter((c) => c !== once);
      void Promise.resolve()
        .then(once)
        .catch(() => undefined);
    };
  }

  async close(): Promise<unknown> {
    if (this.#closed) return undefined;
    this.#closed = true;
    let failure: unknown;
    const cleanups = this.#cleanups.reverse();
    this.#cleanups = [];
    for (const cleanup of cleanups) {
      try {
        await cleanup();
      } catch (error) {
        failure ??= error;
      }
    }
    return failure;
  }
}
