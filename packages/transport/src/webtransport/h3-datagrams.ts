// HTTP/3 datagrams of one connection (RFC 9297 section 2.1): each starts with the quarter stream id of its
// session. Outgoing ones wait in a bounded queue (oldest dropped, counted) that feeds quiche's small queue as
// it empties, because quiche's own queue can only be purged by visiting every entry, which collapses under a
// flood. Incoming ones are handed to their session, or dropped when the session is unknown.
import type { Connection } from '@matrixai/quic/native/types.js';
import { H3Error } from '../h3/h3-error.ts';
import { encodeVarint, readVarint, varintLength, writeVarint } from '../h3/varint.ts';

/** Room for one received datagram: quiche never accepts more than max_recv_udp_payload_size (quic-config.ts). */
const RECV_ROOM = 1500;
const RECV_SLAB_BYTES = 64 * 1024;

export class H3Datagrams {
  readonly #scratch = new Uint8Array(RECV_ROOM);
  #recvSlab = new Uint8Array(RECV_SLAB_BYTES);
  #recvOffset = 0;
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

  /**
   * Sends a datagram for the session on `sessionId`; too large for the path means dropped (W3C). While nothing
   * waits and quiche's queue has room it goes straight to quiche (which copies it) through a scratch buffer;
   * otherwise it waits in the bounded queue.
   */
  send(conn: Connection, sessionId: number, payload: Uint8Array): void {
    const quarter = sessionId / 4;
    const prefixLength = varintLength(quarter);
    this.#maxWritable ??= conn.dgramMaxWritableLen();
    const max = this.#maxWritable;
    const length = prefixLength + payload.length;
    if (max === null || length > max) return;
    if (this.#count === 0 && length <= this.#scratch.length && !conn.isDgramSendQueueFull()) {
      writeVarint(this.#scratch, 0, quarter);
      this.#scratch.set(payload, prefixLength);
      conn.dgramSend(this.#scratch.subarray(0, length));
      return;
    }
    const datagram = new Uint8Array(length);
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

  /**
   * Delivers every received datagram to `deliver(sessionId, payload)`; true if there was any. Payloads are views of a receive slab (one
   * allocation per ~50 datagrams instead of one native buffer with a finalizer each); the application may keep
   * them, which keeps that slab alive.
   */
  receive(conn: Connection, deliver: (sessionId: number, payload: Uint8Array) => void): boolean {
    for (let count = 0; ; count++) {
      if (this.#recvOffset + RECV_ROOM > this.#recvSlab.length) {
        this.#recvSlab = new Uint8Array(RECV_SLAB_BYTES);
        this.#recvOffset = 0;
      }
      const start = this.#recvOffset;
      const n = conn.dgramRecv(this.#recvSlab.subarray(start, start + RECV_ROOM));
      if (n === null) return count > 0;
      const end = start + n;
      const q = n > 0 ? readVarint(this.#recvSlab, start) : undefined;
      if (q === undefined || q.next > end)
        throw new H3Error('GENERAL_PROTOCOL_ERROR', 'datagram without a quarter stream id');
      this.#recvOffset = (end + 7) & ~7;
      deliver(q.value * 4, this.#recvSlab.subarray(q.next, end));
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
