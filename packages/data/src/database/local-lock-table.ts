/**
 * Named in-process locks: what advisory locks mean on PGlite, where every caller shares one
 * database session (and so would always "win" a SQL advisory lock it already holds).
 */
export class LocalLockTable {
  readonly #held = new Map<string, (() => void)[]>();

  /** Takes the lock if free; returns a release function, or undefined when someone holds it. */
  tryAcquire(key: string): (() => void) | undefined {
    if (this.#held.has(key)) return undefined;
    this.#held.set(key, []);
    return this.#releaser(key);
  }

  /** Waits for the lock. Rejects with the signal's reason if aborted while waiting. */
  async acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    const waiters = this.#held.get(key);
    if (waiters === undefined) {
      this.#held.set(key, []);
      return this.#releaser(key);
    }
    return new Promise<() => void>((resolve, reject) => {
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(this.#releaser(key));
      };
      const onAbort = (): void => {
        const index = waiters.indexOf(wake);
        if (index !== -1) waiters.splice(index, 1);
        reject(signal?.reason as Error);
      };
      waiters.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  isHeld(key: string): boolean {
    return this.#held.has(key);
  }

  #releaser(key: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const waiters = this.#held.get(key);
      const next = waiters?.shift();
      if (next === undefined) this.#held.delete(key);
      else next(); // ownership passes straight to the next waiter
    };
  }
}
