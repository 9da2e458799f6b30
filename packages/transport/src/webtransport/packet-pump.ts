// The packet I/O of one QUIC connection. In: a UDP packet goes into quiche (a packet quiche cannot use is
// dropped). Out: waiting datagrams are fed into quiche's small queue, interleaved with draining quiche's packets
// to the socket, until quiche has nothing more to send now; packets are written straight into the socket's send
// slab (no copy per packet).
import type { Connection, Host, RecvInfo } from '@matrixai/quic/native/types.js';
import type { H3ConnectionOptions } from './h3-connection-options.ts';
import type { H3Datagrams } from './h3-datagrams.ts';

/** Rounds of (fill quiche's datagram queue, send packets) per flush, so one flush cannot run unbounded. */
const MAX_DATAGRAM_ROUNDS = 16;

type PumpOptions = Pick<H3ConnectionOptions, 'conn' | 'local' | 'remote' | 'slab' | 'sendPacket' | 'logger'>;

export class PacketPump {
  readonly #o: PumpOptions;
  readonly #conn: Connection;
  /** The RecvInfo for packets from the peer's address, kept rather than built per packet. */
  readonly #recvInfo: RecvInfo;

  constructor(options: PumpOptions) {
    this.#o = options;
    this.#conn = options.conn;
    this.#recvInfo = { from: options.remote, to: options.local };
  }

  receive(packet: Uint8Array, host: string, port: number): void {
    let info = this.#recvInfo;
    if (info.from.host !== host || info.from.port !== port)
      info = { from: { host, port }, to: this.#o.local };
    try {
      this.#conn.recv(packet, info);
    } catch (e) {
      // A packet quiche cannot use (bad crypto, wrong state) is dropped, as RFC 9000 says.
      this.#o.logger.debug({ err: String(e) }, 'quic packet dropped');
    }
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
    const slab = this.#o.slab;
    for (;;) {
      let r: ReturnType<Connection['send']>;
      try {
        r = this.#conn.send(slab.next());
      } catch (e) {
        this.#o.logger.debug({ err: String(e) }, 'quic send failed');
        return;
      }
      if (r === null) return;
      const [n, info]: [number, { to: Host }] = r;
      this.#o.sendPacket(slab.take(n), info.to);
    }
  }
}
