// Bytes the connection itself must put on streams (SETTINGS, GOAWAY, HEADERS, capsules, FINs), queued per
// stream until quiche has room. These are small and few; application data never goes through here.
import type { Connection } from '@matrixai/quic/native/types.js';

export class StreamOutbox {
  readonly #queues = new Map<number, { data: Uint8Array; fin: boolean }[]>();

  write(id: number, data: Uint8Array, fin: boolean): void {
    let queue = this.#queues.get(id);
    if (!queue) this.#queues.set(id, (queue = []));
    queue.push({ data, fin });
  }

  drain(conn: Connection): void {
    for (const [id, queue] of this.#queues) {
      while (queue.length > 0) {
        const head = queue[0];
        if (!head) break;
        let n: number | null;
        try {
          n = conn.streamSend(id, head.data, head.fin);
        } catch {
          queue.length = 0; // stream reset or stopped: what was queued for it no longer matters
          break;
        }
        if (n === null) break;
        if (n < head.data.length) {
          head.data = head.data.subarray(n);
          break;
        }
        queue.shift();
      }
      if (queue.length === 0) this.#queues.delete(id);
    }
  }

  clear(): void {
    this.#queues.clear();
  }
}
