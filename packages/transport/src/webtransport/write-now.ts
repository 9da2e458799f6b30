// An optional synchronous write on a QUIC stream's writable, not part of W3C WebTransport: a forwarding server
// writes every frame to every subscriber's stream, and the WHATWG writer costs several promises and microtasks per
// write. Other transports (browser, WebSocket, in-memory) do not have it: `writeNow` returns undefined there.

/** Where a QUIC stream's writable keeps its synchronous write. */
export const WRITE_NOW: unique symbol = Symbol('darktower.transport.writeNow');

type WithWriteNow = WritableStream<Uint8Array> & {
  [WRITE_NOW]?: (chunk: Uint8Array) => number | undefined;
};

/**
 * Hands as much of `chunk` as the stream takes right now to the transport, synchronously and without a promise;
 * returns how many bytes were taken (0 when it has no room: write the rest through the writer, which waits), or
 * undefined when there is no fast path here (another transport, or the stream is not in a state to take direct
 * writes: preamble not yet out, failed or finished; the writer then reports what happened). The caller must have
 * no write of its own still pending on the writer, or the bytes would overtake it.
 */
export function writeNow(writable: WritableStream<Uint8Array>, chunk: Uint8Array): number | undefined {
  return (writable as WithWriteNow)[WRITE_NOW]?.(chunk);
}
