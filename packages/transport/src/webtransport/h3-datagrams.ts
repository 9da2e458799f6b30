// HTTP/3 datagrams of one connection (RFC 9297 section 2.1): each starts with the quarter stream id of its
// session. Outgoing ones wait in a bounded queue (oldest dropped, counted) that feeds quiche's small queue as
// it empties, because quiche's own queue can only be purged by visiting every entry, which collapses under a
// flood. Incoming ones are handed to their session, or dropped when the session is unknown.
import type { Connection } from '@matrixai/quic/native/types.js';
import { H3Error } from '../h3/h3-error.ts';
import { encodeVarint, readVarint } from '../h3/varint.ts';

export class H3Datagrams {
  readonly #queue: Uint8Array[] = [];
  readonly #limit: number;
  dropped = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Queues a datagram for the session on `sessionId`; too large for the path means dropped (W3C). */
  send(conn: Connection, sessionId: number, payload: Uint8Array): void {
    const prefix = encodeVarint(sessionId / 4);
    const max = conn.dgramMaxWritableLen();
    if (max === null || prefix.length + payload.length > max) return;
    const datagram = new Uint8Array(prefix.length + payload.length);
    datagram.set(prefix, 0);
    datagram.set(payload, prefix.length);
    if (this.#queue.length >= this.#limit) {
      this.#queue.shift();
      this.dropped++;
    }
    this.#queue.push(datagram);
  }

  maxPayload(conn: Connection, sessionId: number): number {
    return Math.max(0, (conn.dgramMaxWritableLen() ?? 1200) - encodeVarint(sessionId / 4).length);
  }

  /** Moves datagrams into quiche while it has room; true if some are still waiting. */
  feed(conn: Connection): boolean {
    while (this.#queue.length > 0 && !conn.isDgramSendQueueFull()) {
      const d = this.#queue.shift();
      if (d) conn.dgramSend(d);
    }
    return this.#queue.length > 0;
  }

  /** Delivers every received datagram to `deliver(sessionId, payload)`. */
  receive(conn: Connection, deliver: (sessionId: number, payload: Uint8Array) => void): void {
    for (;;) {
      const d = conn.dgramRecvVec();
      if (d === null) return;
      const q = readVarint(d, 0);
      if (q === undefined)
        throw new H3Error('GENERAL_PROTOCOL_ERROR', 'datagram without a quarter stream id');
      deliver(q.value * 4, d.subarray(q.next));
    }
  }
}
