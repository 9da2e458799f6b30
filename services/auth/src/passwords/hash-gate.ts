/** Thrown when too many password hashes are already running or queued. */
export class HashGateFull extends Error {
  override readonly name = 'HashGateFull';
  readonly code = 'HASH_GATE_FULL';
}

/**
 * Bounds concurrent argon2 work (each hash holds ~19 MiB and a libuv thread for tens of ms). Beyond `maxRunning`
 * calls wait in a FIFO of at most `maxQueued`; past that they are refused at once, so a login or registration flood
 * costs bounded memory and leaves the thread pool to the rest of the service.
 */
export class HashGate {
  readonly #maxRunning: number;
  readonly #maxQueued: number;
  #running = 0;
  readonly #queue: (() => void)[] = [];

  constructor(maxRunning: number, maxQueued: number) {
    this.#maxRunning = maxRunning;
    this.#maxQueued = maxQueued;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#maxRunning) {
      if (this.#queue.length >= this.#maxQueued) throw new HashGateFull('password hashing is saturated');
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await fn();
    } finally {
      const next = this.#queue.shift();
      // Hand the slot straight to the next waiter; only free it when nobody waits.
      if (next === undefined) this.#running--;
      else next();
    }
  }
}

export function isHashGateFull(value: unknown): value is HashGateFull {
  return (
    typeof value === 'object' && value !== null && (value as { code?: unknown }).code === 'HASH_GATE_FULL'
  );
}
