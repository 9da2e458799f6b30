// The send side of one QUIC connection: feeds waiting datagrams into quiche's small queue, interleaved with
// draining quiche's packets to the socket, until quiche has nothing more to send now. Packets are written
// straight into a send slab (no copy per packet).
import type { Connection, Host } from '@matrixai/quic/native/types.js';
import type { H3Datagrams } from './h3-datagrams.ts';
import type { TransportLogger } from './logger.ts';
import type { SendSlab } from './send-slab.ts';

/** Rounds of (fill quiche's datagram queue, send packets) per flush, so one flush cannot run unbounded. */
const MAX_DATAGRAM_ROUNDS = 16;

export class PacketPump {
  readonly #conn: Connection;
  readonly #sendPacket: (packet: Uint8Array, to: Host) => void;
  readonly #logger: TransportLogger;
  readonly #slab: SendSlab;

  /** `slab` is shared by every connection on one socket (a connection's flush never interleaves with another's). */
  constructor(
    conn: Connection,
    slab: SendSlab,
    sendPacket: (packet: Uint8Array, to: Host) => void,
    logger: TransportLogger,
  ) {
    this.#conn = conn;
    this.#slab = slab;
    this.#sendPacket = sendPacket;
    this.#logger = logger;
  }

  /** Sends everything quiche has, with `datagrams` (when given) fed in as quiche's queue empties. */
  pump(datagrams: H3Datagrams | undefined): void {
    const conn = this.#conn;
    for (let round = 0; round < MAX_DATAGRAM_ROUNDS && datagrams?.feed(conn); round++) {
      const before = conn.dgramSendQueueLen();
      this.#sendPackets();
      if (conn.dgramSendQueueLen() === before) break; // congestion-limited: the rest waits
    }
    this.#sendPackets();
  }

  #sendPackets(): void {
    for (;;) {
      let r: ReturnType<Connection['send']>;
      try {
        r = this.#conn.send(this.#slab.next());
      } catch (e) {
        this.#logger.debug({ err: String(e) }, 'quic send failed');
        return;
      }
      if (r === null) return;
      const [n, info] = r;
      this.#sendPacket(this.#slab.take(n), info.to);
    }
  }
}
