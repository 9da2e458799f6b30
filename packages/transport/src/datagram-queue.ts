// A bounded queue of received datagrams exposed as a pull-based ReadableStream. When the reader falls behind,
// the oldest datagram is dropped (fresh media beats stale media) and counted.
export class DatagramQueue {
  readonly #items: Uint8Array[] = [];
  readonly #limit: number;
  #waiter: (() => void) | undefined;
  #closed = false;
  #dropped = 0;
  readonly readable: ReadableStream<Uint8Array>;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('datagram queue limit must be >= 1');
    this.#limit = limit;
    this.readable = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          while (this.#items.length === 0 && !this.#closed) {
            await new Promise<void>((resolve) => (this.#waiter = resolve));
          }
          const item = this.#items.shift();
          if (item === undefined) controller.close();
          else controller.enqueue(item);
        },
        cancel: () => {
          this.#closed = true;
          this.#items.length = 0;
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** Datagrams dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  push(datagram: Uint8Array): void {
    if (this.#closed) return;
    if (this.#items.length >= this.#limit) {
      this.#items.shift();
      this.#dropped++;
    }
    this.#items.push(datagram);
    this.#wake();
  }

  close(): void {
    this.#closed = true;
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }
}
