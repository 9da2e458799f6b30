// Who is waiting for the connection to have room: stream writers blocked on flow control, and stream openers
// blocked on the peer's stream limit. Checked once per flush; woken only when quiche reports room (or the error
// that means there will never be any).
import type { Connection } from '@matrixai/quic/native/types.js';
import type { QuicStream } from './quic-stream.ts';

export class WriteWaiters {
  readonly #writers = new Set<QuicStream>();
  readonly #openers: (() => void)[] = [];

  waitForCapacity(stream: QuicStream): void {
    this.#writers.add(stream);
  }

  forget(stream: QuicStream): void {
    this.#writers.delete(stream);
  }

  waitForStreamCredit(): Promise<void> {
    return new Promise((resolve) => this.#openers.push(resolve));
  }

  wake(conn: Connection): void {
    for (const s of this.#writers) {
      let cap: number;
      try {
        cap = conn.streamCapacity(s.id);
      } catch (e) {
        this.#writers.delete(s);
        s.onWriteError(e);
        continue;
      }
      if (cap > 0) {
        this.#writers.delete(s);
        s.onWritable();
      }
    }
    this.releaseOpeners();
  }

  /** Openers re-check the peer's stream limit themselves (and give up if the session closed). */
  releaseOpeners(): void {
    for (const w of this.#openers.splice(0)) w();
  }

  clear(): void {
    this.#writers.clear();
    this.releaseOpeners();
  }
}
