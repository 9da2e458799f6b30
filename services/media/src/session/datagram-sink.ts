import { FRAME_HEADER_BYTES } from '@darktower/protocol';
import type { Session } from '@darktower/transport';
import type { FrameSink } from '../core/frame.ts';

/** Where a session's datagrams go: the batched fast path of the transport, or its W3C writer. */
export interface DatagramOut {
  send(datagram: Uint8Array): void | Promise<void>;
}

/**
 * The batched path (`Session.sendDatagrams`): datagrams written during one turn of the event loop (one ingest batch
 * fanned out) leave in one call, without a promise per datagram.
 */
export class BatchedDatagramOut implements DatagramOut {
  readonly #session: Session & { sendDatagrams(batch: readonly Uint8Array[]): void };
  #batch: Uint8Array[] = [];
  dropped = 0;

  constructor(session: Session & { sendDatagrams(batch: readonly Uint8Array[]): void }) {
    this.#session = session;
  }

  send(datagram: Uint8Array): void {
    if (this.#batch.push(datagram) === 1)
      queueMicrotask(() => {
        this.#flush();
      });
  }

  #flush(): void {
    const batch = this.#batch;
    this.#batch = [];
    try {
      this.#session.sendDatagrams(batch);
    } catch {
      // The session closed: datagrams are unreliable, nothing to report beyond the count.
      this.dropped += batch.length;
    }
  }
}

/** The W3C path: one write per datagram on the session's shared writer; backpressure is reported to the pump. */
export class WriterDatagramOut implements DatagramOut {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;

  constructor(writer: WritableStreamDefaultWriter<Uint8Array>) {
    this.#writer = writer;
  }

  send(datagram: Uint8Array): void | Promise<void> {
    // Datagrams are unreliable by nature: a failed write is a lost datagram, not a dead subscriber.
    this.#writer.write(datagram).catch(() => undefined);
    const size = this.#writer.desiredSize;
    if (size !== null && size <= 0) return this.#writer.ready.catch(() => undefined);
  }
}

/**
 * Forwarded audio as datagrams (one frame per datagram). All datagram outputs of a session share the session's
 * datagram path. A datagram is one buffer, so a relabelled frame is joined here (small audio frames); frames larger
 * than the path allows are dropped and counted.
 */
export class DatagramSink implements FrameSink {
  readonly #out: DatagramOut;
  readonly #maxSize: number;
  oversize = 0;
  #closed = false;

  constructor(out: DatagramOut, maxSize: number) {
    this.#out = out;
    this.#maxSize = maxSize;
  }

  write(wire: Uint8Array, header?: Uint8Array): void | Promise<void> {
    if (this.#closed) return;
    if (wire.byteLength > this.#maxSize) {
      this.oversize++;
      return;
    }
    let datagram = wire;
    if (header !== undefined) {
      datagram = new Uint8Array(wire.byteLength);
      datagram.set(header);
      datagram.set(wire.subarray(FRAME_HEADER_BYTES), FRAME_HEADER_BYTES);
    }
    return this.#out.send(datagram);
  }

  close(): void {
    this.#closed = true;
  }
}
