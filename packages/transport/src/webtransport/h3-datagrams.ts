// HTTP/3 datagrams of one connection (RFC 9297 section 2.1): each starts with the quarter stream id of its
// session. Outgoing ones wait in a bounded queue (oldest dropped, counted) that feeds quiche's small queue as
// it empties, because quiche's own queue can only be purged by visiting every entry, which collapses under a
// flood. Incoming ones are handed to their session, or dropped when the session is unknown.
import type { Connection } from '@matrixai/quic/native/types.js';
import { H3Error } from '../h3/h3-error.ts';
import { encodeVarint, readVarint, varintLength, writeVarint } from '../h3/varint.ts';

export class H3Datagrams {
  /** Ring buffer of waiting datagrams: #head is the oldest, #count how many. */
  #ring: (Uint8Array | undefined)[];
  #head = 0;
  #count = 0;
  readonly #limit: number;
  /** quiche's dgramMaxWritableLen, read once per flush (it only changes with the path MTU). */
  #maxWritable: number | null | undefined;
  dropped = 0;

  constructor(limit: number) {
    this.#limit = limit;
    this.#ring = new Array<Uint8Array | undefined>(Math.min(limit, 64));
  }

  get waiting(): number {
    return this.#count;
  }

  /** Queues a datagram for the session on `sessionId`; too large for the path means dropped (W3C). */
  send(conn: Connection, sessionId: number, payload: Uint8Array): void {
    const quarter = sessionId / 4;
    const prefixLength = varintLength(quarter);
    this.#maxWritable ??= conn.dgramMaxWritableLen();
    const max = this.#maxWritable;
    if (max === null || prefixLength + payload.length > max) return;
    const datagram = new Uint8Array(prefixLength + payload.length);
    writeVarint(datagram, 0, quarter);
    datagram.set(payload, prefixLength);
    if (this.#count >= this.#limit) {
      this.#shift();
      this.dropped++;
    }
    this.#push(datagram);
  }

  maxPayload(conn: Connection, sessionId: number): number {
    return Math.max(0, (conn.dgramMaxWritableLen() ?? 1200) - encodeVarint(sessionId / 4).length);
  }

  /** Forgets the cached path figures; called at the start of every flush. */
  refresh(): void {
    this.#maxWritable = undefined;
  }

  /** Moves datagrams into quiche while it has room; true if some are still waiting. */
  feed(conn: Connection): boolean {
    while (this.#count > 0 && !conn.isDgramSendQueueFull()) {
      const d = this.#shift();
      if (d) conn.dgramSend(d);
    }
    return this.#count > 0;
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

  #push(d: Uint8Array): void {
    if (this.#count === this.#ring.length) {
      // Grow (up to the limit, which send() enforces): unroll the ring into a larger array.
      const grown = new Array<Uint8Array | undefined>(Math.min(this.#limit, this.#ring.length * 2));
      for (let i = 0; i < this.#count; i++) grown[i] = this.#ring[(this.#head + i) % this.#ring.length];
      this.#ring = grown;
      this.#head = 0;
    }
    this.#ring[(this.#head + this.#count) % this.#ring.length] = d;
    this.#count++;
  }

  #shift(): Uint8Array | undefined {
    if (this.#count === 0) return undefined;
    const d = this.#ring[this.#head];
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#ring.length;
    this.#count--;
    return d;
  }
}
