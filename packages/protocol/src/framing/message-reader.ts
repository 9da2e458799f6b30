import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { FrameDecoder } from './frame-decoder.ts';
import { decodeMessage } from './message-codec.ts';

export interface ReadMessagesOptions {
  /** Largest message body accepted (default 64 KiB). */
  readonly maxMessageSize?: number;
  /** Stops reading: the stream is cancelled with the signal's reason and the iteration throws it. */
  readonly signal?: AbortSignal;
}

/**
 * Reads length-prefixed `schema` messages from a byte stream (a WebTransport stream's readable side, in Node or in a
 * browser) until it ends.
 *
 * Throws a ProtocolError on bad bytes (LENGTH_OVER_CAP, MALFORMED_PROTOBUF, TRUNCATED when the stream ends inside a
 * message) after cancelling the stream with that error. The stream is also cancelled when the consumer stops early
 * (break / return) or the signal aborts: the reader owns the stream for the whole iteration.
 */
export async function* readMessages<Desc extends DescMessage>(
  readable: ReadableStream<Uint8Array>,
  schema: Desc,
  options: ReadMessagesOptions = {},
): AsyncGenerator<MessageShape<Desc>, void, undefined> {
  const { signal } = options;
  signal?.throwIfAborted();
  const decoder = new FrameDecoder(options);
  const reader = readable.getReader();
  let ended = false;
  let cancelReason: unknown = undefined;
  const onAbort = (): void => {
    cancelReason = signal?.reason;
    // Resolves the pending read() with done; the loop below then throws the abort reason.
    reader.cancel(cancelReason).catch(ignoreCancelFailure);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      signal?.throwIfAborted();
      if (done) {
        ended = true;
        decoder.finish();
        return;
      }
      for (const body of decoder.push(value)) yield decodeMessage(schema, body);
    }
  } catch (error) {
    cancelReason ??= error;
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!ended) await reader.cancel(cancelReason).catch(ignoreCancelFailure);
    reader.releaseLock();
  }
}

// cancel() rejects only when the stream already errored; the error that matters was already raised to the caller.
function ignoreCancelFailure(): void {
  return undefined;
}
