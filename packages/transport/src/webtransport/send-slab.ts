// Outgoing packets are written by quiche straight into a large slab and handed to the UDP socket as views of it,
// instead of copying each packet into its own new buffer: one allocation per ~200 packets rather than one per
// packet. The socket may hold a view until the packet is on the wire, so a slab is never reused: when it is
// full, a fresh one is started and the old one is freed once no pending send holds a view of it.

const SLAB_BYTES = 256 * 1024;
/** Room quiche gets for each packet: at least its max_send_udp_payload_size (quic-config.ts). */
export const MAX_UDP_PACKET = 1500;

export class SendSlab {
  readonly #packetMax: number;
  #slab: Uint8Array;
  #offset = 0;
  /** The room last handed out and not yet taken (quiche often has nothing to send: the room is reused). */
  #room: Uint8Array | undefined;

  constructor(packetMax: number, slabBytes = SLAB_BYTES) {
    this.#packetMax = packetMax;
    this.#slab = new Uint8Array(Math.max(slabBytes, packetMax));
  }

  /** Room for the next packet: at least `packetMax` bytes that nobody else holds. */
  next(): Uint8Array {
    if (this.#room) return this.#room;
    if (this.#offset + this.#packetMax > this.#slab.length) {
      this.#slab = new Uint8Array(this.#slab.length);
      this.#offset = 0;
    }
    this.#room = this.#slab.subarray(this.#offset, this.#offset + this.#packetMax);
    return this.#room;
  }

  /** Takes the first `n` bytes of the room last returned by `next()` as a packet. */
  take(n: number): Uint8Array {
    const packet = this.#slab.subarray(this.#offset, this.#offset + n);
    this.#room = undefined;
    // Keep views 8-byte aligned so the next packet starts on a fresh word.
    this.#offset += (n + 7) & ~7;
    return packet;
  }
}
