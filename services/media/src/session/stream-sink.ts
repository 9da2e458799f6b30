import { encodeStreamHeader, FRAME_HEADER_BYTES, type StreamHeader } from '@darktower/protocol';
import { writeNow } from '@darktower/transport';
import type { FrameSink } from '../core/frame.ts';

const MAX_INFLIGHT_WRITES = 32;

/**
 * A forwarded stream on its own unidirectional stream: the 32-byte stream header, then frames. Opening is
 * asynchronous; writes before it completes wait (the SubscriberOutput queue holds frames meanwhile). A relabelled
 * header is written separately from the payload, so the payload bytes are never copied here.
 */
export class StreamSink implements FrameSink {
  readonly #opening: Promise<void>;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;
  #failure: unknown;
  #closed = false;
  #inflight = 0;
  #wakeWriter: (() => void) | undefined;

  constructor(open: () => Promise<WritableStream<Uint8Array>>, header: StreamHeader) {
    this.#opening = open().then((writable) => {
      const writer = writable.getWriter();
      this.#writer = writer;
      this.#writable = writable;
      if (this.#closed) {
        writer.close().catch(this.#fail);
        return;
      }
      this.#send(writer, encodeStreamHeader(header));
    });
    this.#opening.catch(this.#fail);
  }

  write(wire: Uint8Array, header?: Uint8Array): void | Promise<void> {
    if (this.#failure !== undefined)
      throw this.#failure instanceof Error ? this.#failure : new Error('stream failed');
    const writer = this.#writer;
    if (writer === undefined) return this.#opening.then(() => this.write(wire, header));
    if (header === undefined) this.#put(writer, wire);
    else {
      this.#put(writer, header);
      this.#put(writer, wire.subarray(FRAME_HEADER_BYTES));
    }
    // A few writes may be in flight (the transport takes them per event-loop turn); beyond that the output waits
    // and its own bounded queue, with the drop policy, takes over.
    if (this.#inflight >= MAX_INFLIGHT_WRITES) {
      return new Promise<void>((resolve) => (this.#wakeWriter = resolve));
    }
  }

  /**
   * One chunk out. With nothing pending on the writer, the transport's synchronous write takes what it can (QUIC:
   * no promise per frame); the rest, and everything while writes are pending, goes through the writer in order.
   */
  #put(writer: WritableStreamDefaultWriter<Uint8Array>, chunk: Uint8Array): void {
    if (this.#inflight === 0 && this.#writable !== undefined) {
      const n = writeNow(this.#writable, chunk);
      if (n === chunk.length) return;
      if (n !== undefined && n > 0) chunk = chunk.subarray(n);
    }
    this.#send(writer, chunk);
  }

  #send(writer: WritableStreamDefaultWriter<Uint8Array>, chunk: Uint8Array): void {
    this.#inflight++;
    writer.write(chunk).then(this.#settled, this.#writeFailed);
  }

  readonly #writeFailed = (error: unknown): void => {
    this.#fail(error);
    this.#settled();
  };

  readonly #settled = (): void => {
    this.#inflight--;
    if (this.#inflight < MAX_INFLIGHT_WRITES) {
      const wake = this.#wakeWriter;
      this.#wakeWriter = undefined;
      wake?.();
    }
  };

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#writer !== undefined && this.#failure === undefined) this.#writer.close().catch(this.#fail);
  }

  readonly #fail = (error: unknown): void => {
    this.#failure ??= error ?? new Error('stream failed');
    const wake = this.#wakeWriter;
    this.#wakeWriter = undefined;
    wake?.();
  };
}
