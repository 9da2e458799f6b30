import {
  MediaStreamParser,
  type MediaStreamEvent,
  type MediaStreamParserOptions,
} from './media-stream-parser.ts';

export interface ReadMediaStreamOptions extends MediaStreamParserOptions {
  /** Stops reading: the stream is cancelled with the signal's reason and the iteration throws it. */
  readonly signal?: AbortSignal;
}

/**
 * Reads one media stream (a WebTransport unidirectional stream's readable side): yields its header event, then a
 * frame event per frame, until the stream ends. Throws a ProtocolError on bad bytes (after cancelling the stream with
 * it; map its code to a reset code with mediaResetCodeFor). The stream is cancelled when the consumer stops early.
 */
export async function* readMediaStream(
  readable: ReadableStream<Uint8Array>,
  options: ReadMediaStreamOptions = {},
): AsyncGenerator<MediaStreamEvent, void, undefined> {
  const { signal } = options;
  signal?.throwIfAborted();
  const parser = new MediaStreamParser(options);
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
        parser.finish();
        return;
      }
      yield* parser.push(value);
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
