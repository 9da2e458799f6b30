/** A signal that aborts at a deadline or with its parent; dispose it to clear the timer and the parent listener. */
export interface Deadline extends Disposable {
  readonly signal: AbortSignal;
  /** Clears the timer and detaches from the parent signal (idempotent). */
  clear(): void;
}

/** The reason a deadline aborts with: a `DOMException` named `TimeoutError`, like `AbortSignal.timeout`. */
export function timeoutError(ms: number): DOMException {
  return new DOMException(`timed out after ${ms} ms`, 'TimeoutError');
}

/** True for the reason {@link deadline} and {@link withTimeout} abort with. */
export function isTimeoutError(value: unknown): value is DOMException {
  return value instanceof DOMException && value.name === 'TimeoutError';
}

/**
 * Returns a signal that aborts after `ms` (with a `TimeoutError`) or when `parent` aborts (with its reason).
 * Unlike `AbortSignal.timeout`, the timer is cleared on {@link Deadline.clear} / `using`, so nothing lingers.
 */
export function deadline(ms: number, parent?: AbortSignal): Deadline {
  if (!Number.isFinite(ms) || ms < 0)
    throw new RangeError(`deadline: ms must be a finite number >= 0, got ${ms}`);
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onParentAbort = (): void => {
    clear();
    controller.abort(parent?.reason);
  };
  const clear = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    parent?.removeEventListener('abort', onParentAbort);
  };
  if (parent?.aborted === true) {
    controller.abort(parent.reason);
  } else {
    parent?.addEventListener('abort', onParentAbort, { once: true });
    timer = setTimeout(() => {
      timer = undefined;
      clear();
      controller.abort(timeoutError(ms));
    }, ms);
  }
  return { signal: controller.signal, clear, [Symbol.dispose]: clear };
}

/**
 * Waits for `work` at most `ms`. Pass a function to let the work itself be cancelled: it receives a signal that
 * aborts on timeout or when `signal` aborts. Rejects with a `TimeoutError` on timeout, or with `signal.reason`.
 * The timer and listeners are always cleaned up.
 */
export async function withTimeout<T>(
  work: Promise<T> | ((signal: AbortSignal) => Promise<T>),
  ms: number,
  signal?: AbortSignal,
): Promise<T> {
  using d = deadline(ms, signal);
  if (d.signal.aborted) throw d.signal.reason;
  const promise = typeof work === 'function' ? work(d.signal) : work;
  const { promise: aborted, reject } = Promise.withResolvers<never>();
  const onAbort = (): void => {
    reject(d.signal.reason);
  };
  d.signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    d.signal.removeEventListener('abort', onAbort);
  }
}
