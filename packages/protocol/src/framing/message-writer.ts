import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { ProtocolError } from '../errors/protocol-error.ts';
import { DEFAULT_MAX_MESSAGE_SIZE } from './length-prefix.ts';
import { encodeMessage } from './message-codec.ts';

export interface MessageWriterOptions {
  /** Largest message body sent (default 64 KiB): the peer's reader refuses bigger ones. */
  readonly maxMessageSize?: number;
}

/**
 * Writes length-prefixed `schema` messages to a byte stream (a WebTransport stream's writable side). Each message is
 * one write of prefix + body, so concurrent writes never interleave. Holds the stream's writer lock until closed.
 */
export class MessageWriter<Desc extends DescMessage> implements AsyncDisposable {
  readonly #schema: Desc;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #maxMessageSize: number;
  readonly #closed: Promise<void>;
  #resolveClosed!: () => void;
  #closing: Promise<void> | undefined;

  constructor(writable: WritableStream<Uint8Array>, schema: Desc, options: MessageWriterOptions = {}) {
    this.#schema = schema;
    this.#maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.#writer = writable.getWriter();
    this.#closed = new Promise<void>((resolve) => {
      this.#resolveClosed = resolve;
    });
    // The peer may reset the stream: then this writer is closed too.
    this.#writer.closed.then(
      () => void this.close(),
      (error: unknown) => void this.close(error),
    );
  }

  /** Resolves once the writer is closed (by close(), or because the stream closed or failed). */
  get closed(): Promise<void> {
    return this.#closed;
  }

  get isClosed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Sends one message; resolves when the stream accepted it. Throws CLOSED after close(), LENGTH_OVER_CAP for a
   * message over the cap. Aborting `signal` while waiting aborts the stream (a half-sent frame cannot be taken back).
   */
  async write(message: MessageShape<Desc>, signal?: AbortSignal): Promise<void> {
    if (this.#closing !== undefined) throw ProtocolError.closed('message writer');
    signal?.throwIfAborted();
    const bytes = encodeMessage(this.#schema, message, this.#maxMessageSize);
    const written = this.#writer.write(bytes);
    if (signal === undefined) {
      await written.catch((error: unknown) => this.#failedWrite(error));
      return;
    }
    const { promise: aborted, reject } = Promise.withResolvers<never>();
    const onAbort = (): void => {
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([written.catch((error: unknown) => this.#failedWrite(error)), aborted]);
    } catch (error) {
      // Not awaited: aborting waits for the sink to give up its in-flight write, and the caller asked to stop now.
      if (signal.aborted) void this.close(signal.reason);
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
      written.catch(ignore);
    }
  }

  /**
   * Idempotent. Without a reason the stream is closed gracefully (FIN after queued writes); with a reason it is
   * aborted (reset). Resolves when done.
   */
  close(reason?: unknown): Promise<void> {
    this.#closing ??= (async () => {
      try {
        if (reason === undefined) await this.#writer.close();
        else await this.#writer.abort(reason);
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

  #failedWrite(error: unknown): never {
    throw ProtocolError.closed('message stream', error);
  }
}

function ignore(): void {
  return undefined;
}
