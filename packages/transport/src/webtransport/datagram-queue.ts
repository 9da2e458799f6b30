// Received datagrams waiting for the application: bounded, dropping the oldest when full, counted.

export class DatagramQueue {
  readonly #items: Uint8Array[] = [];
  readonly #limit: number;
  #waiter: (() => void) | undefined;
  #closed = false;
  dropped = 0;
  readonly readable: ReadableStream<Uint8Array>;

  constructor(limit: number) {
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

  push(datagram: Uint8Array): void {
    if (this.#closed) return;
    if (this.#items.length >= this.#limit) {
      this.#items.shift();
      this.dropped++;
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
