import { ProtocolError } from '../errors/protocol-error.ts';
import type { FrameHeader } from './frame-header.ts';
import { encodeMediaFrame } from './media-frame.ts';
import { checkFrameFitsStream } from './media-stream-parser.ts';
import { encodeStreamHeader, type StreamHeader } from './stream-header.ts';

/**
 * Writes one media stream (a WebTransport unidirectional stream's writable side): the 32-byte stream header, then
 * frames, each frame one write of header + payload. Refuses frames that the peer's parser would refuse
 * (STREAM_MISMATCH, invalid headers). Holds the stream's writer lock until closed.
 */
export class MediaStreamWriter implements AsyncDisposable {
  readonly header: StreamHeader;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #headerBytes: Uint8Array;
  readonly #closed: Promise<void>;
  #resolveClosed!: () => void;
  #closing: Promise<void> | undefined;
  #headerWritten = false;

  constructor(writable: WritableStream<Uint8Array>, header: StreamHeader) {
    this.header = header;
    // Encoded up front so that an invalid header fails here, before the stream is touched.
    this.#headerBytes = encodeStreamHeader(header);
    this.#writer = writable.getWriter();
    this.#closed = new Promise<void>((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#writer.closed.then(
      () => void this.close(),
      (error: unknown) => void this.close(error),
    );
  }

  get closed(): Promise<void> {
    return this.#closed;
  }

  get isClosed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Sends one frame (the stream header goes first, with the first frame). Resolves when the stream accepted it.
   * Aborting `signal` while waiting aborts the stream.
   */
  async writeFrame(frame: FrameHeader, payload: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (this.#closing !== undefined) throw ProtocolError.closed('media stream writer');
    signal?.throwIfAborted();
    checkFrameFitsStream(this.header, frame);
    const bytes = encodeMediaFrame(frame, payload);
    const writes: Promise<void>[] = [];
    if (!this.#headerWritten) {
      this.#headerWritten = true;
      writes.push(this.#writer.write(this.#headerBytes));
    }
    writes.push(this.#writer.write(bytes));
    const written = Promise.all(writes).then(
      () => undefined,
      (error: unknown) => {
        throw ProtocolError.closed('media stream', error);
      },
    );
    if (signal === undefined) return written;
    const { promise: aborted, reject } = Promise.withResolvers<never>();
    const onAbort = (): void => {
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([written, aborted]);
    } catch (error) {
      // Not awaited: aborting waits for the sink to give up its in-flight write, and the caller asked to stop now.
      if (signal.aborted) void this.close(signal.reason);
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
      written.catch(ignore);
    }
  }

  /** Idempotent. Without a reason: FIN after queued writes (header included); with a reason: abort (reset). */
  close(reason?: unknown): Promise<void> {
    this.#closing ??= (async () => {
      try {
        if (reason === undefined) {
          // A stream closed before any frame still announces itself, so the peer can tell it from a broken one.
          if (!this.#headerWritten) {
            this.#headerWritten = true;
            await this.#writer.write(this.#headerBytes);
          }
          await this.#writer.close();
        } else {
          await this.#writer.abort(reason);
        }
      } catch {
        // Closing a stream that already failed or closed: nothing left to release but the lock.
      } finally {
        this.#writer.releaseLock();
        this.#resolveClosed();
      }
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function ignore(): void {
  return undefined;
}
