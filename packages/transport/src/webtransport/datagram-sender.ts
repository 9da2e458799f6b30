// Outgoing HTTP/3 datagrams: a bounded queue (oldest dropped, counted) that feeds quiche's small queue as it
// empties. quiche's own queue can only be purged by visiting every entry, which collapses under a flood.
import type { Connection } from '@matrixai/quic/native/types.js';

export class DatagramSender {
  readonly #queue: Uint8Array[] = [];
  readonly #limit: number;
  dropped = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  enqueue(datagram: Uint8Array): void {
    if (this.#queue.length >= this.#limit) {
      this.#queue.shift();
      this.dropped++;
    }
    this.#queue.push(datagram);
  }

  /** Moves datagrams into quiche while it has room; true if some are still waiting. */
  feed(conn: Connection): boolean {
    while (this.#queue.length > 0 && !conn.isDgramSendQueueFull()) {
      const d = this.#queue.shift();
      if (d) conn.dgramSend(d);
    }
    return this.#queue.length > 0;
  }
}
