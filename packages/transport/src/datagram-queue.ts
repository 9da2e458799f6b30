// Received datagrams waiting for the application: bounded, dropping the oldest when full, counted. They are read
// either through a pull-based ReadableStream (the W3C way: one promise per datagram) or, when a batch handler is
// set, handed over in arrays once per microtask checkpoint: everything that arrived in one event-loop turn
// (one flush of a QUIC connection) is one call, without any promise per datagram.

/** Receives the datagrams that arrived since the last call; the array is the handler's to keep. */
export type DatagramBatchHandler = (batch: Uint8Array[]) => void;

export class DatagramQueue {
  #items: Uint8Array[] = [];
  readonly #limit: number;
  #waiter: (() => void) | undefined;
  #closed = false;
  #dropped = 0;
  #handler: DatagramBatchHandler | undefined;
  #deliveryQueued = false;
  readonly readable: ReadableStream<Uint8Array>;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('datagram queue limit must be >= 1');
    this.#limit = limit;
    this.readable = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          while ((this.#items.length === 0 || this.#handler) && !this.#closed) {
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
    if (this.#handler) this.#queueDelivery();
    else this.#wake();
  }

  /**
   * Hands datagrams to `handler` in batches instead of to `readable` (which then gets nothing) until the returned
   * function is called. Datagrams already waiting are the first batch. One handler at a time: a new one replaces
   * the previous. A handler that throws loses that batch only.
   */
  setBatchHandler(handler: DatagramBatchHandler): () => void {
    this.#handler = handler;
    if (this.#items.length > 0) this.#queueDelivery();
    return () => {
      if (this.#handler !== handler) return;
      this.#handler = undefined;
      if (this.#items.length > 0) this.#wake();
    };
  }

  close(): void {
    this.#closed = true;
    this.#wake();
  }

  #queueDelivery(): void {
    if (this.#deliveryQueued) return;
    this.#deliveryQueued = true;
    queueMicrotask(() => {
      this.#deliveryQueued = false;
      this.#deliver();
    });
  }

  /**
   * Hands waiting datagrams to the batch handler now instead of at the microtask checkpoint (a QUIC connection
   * calls this inside its flush, so whatever the handler sends on that connection leaves in the same packets
   * as the acknowledgements). Does nothing without a handler.
   */
  deliverNow(): void {
    this.#deliver();
  }

  #deliver(): void {
    const handler = this.#handler;
    if (!handler || this.#items.length === 0) return;
    const batch = this.#items;
    this.#items = [];
    try {
      handler(batch);
    } catch {
      // The application's handler failed on this batch; the connection and later batches are unaffected.
    }
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }
}
