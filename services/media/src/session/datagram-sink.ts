import { FRAME_HEADER_BYTES } from '@darktower/protocol';
import type { FrameSink } from '../core/frame.ts';

/**
 * Forwarded audio as datagrams (one frame per datagram). All datagram outputs of a session share the session's
 * datagram writer. A datagram is one buffer, so a relabelled frame is joined here (small audio frames); frames larger
 * than the path allows are dropped and counted.
 */
export class DatagramSink implements FrameSink {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #maxSize: number;
  oversize = 0;
  #closed = false;

  constructor(writer: WritableStreamDefaultWriter<Uint8Array>, maxSize: number) {
    this.#writer = writer;
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
    // Datagrams are unreliable by nature: a failed write is a lost datagram, not a dead subscriber.
    this.#writer.write(datagram).catch(() => undefined);
    const size = this.#writer.desiredSize;
    if (size !== null && size <= 0) return this.#writer.ready.catch(() => undefined);
  }

  close(): void {
    this.#closed = true;
  }
}
