// Test support for hostile-peer integration tests: raw stream ids, raw bytes on a stream and raw QUIC datagrams
// on a real connection, bypassing all WebTransport framing. Not exported from the package.
import type { Connection } from '@matrixai/quic/native/types.js';
import type { LocalStreamIds } from './local-stream-ids.ts';

export class RawAccess {
  readonly #conn: Connection;
  readonly #ids: LocalStreamIds;
  readonly #write: (id: number, data: Uint8Array, fin: boolean) => void;
  readonly #flush: () => void;

  /** `write` queues stream bytes and schedules a flush; `flush` schedules one. */
  constructor(
    conn: Connection,
    ids: LocalStreamIds,
    write: (id: number, data: Uint8Array, fin: boolean) => void,
    flush: () => void,
  ) {
    this.#conn = conn;
    this.#ids = ids;
    this.#write = write;
    this.#flush = flush;
  }

  /** Allocates the next locally initiated stream id without any WebTransport preamble. */
  nextStreamId(bidi: boolean): number {
    return this.#ids.next(bidi);
  }

  /** Queues raw bytes on a stream, bypassing all framing. */
  write(id: number, data: Uint8Array, fin: boolean): void {
    this.#write(id, data, fin);
  }

  /** Sends a raw QUIC datagram (no quarter-stream-id added); false if quiche's queue is full. */
  datagram(data: Uint8Array): boolean {
    if (this.#conn.isDgramSendQueueFull()) return false;
    this.#conn.dgramSend(data);
    this.#flush();
    return true;
  }
}
