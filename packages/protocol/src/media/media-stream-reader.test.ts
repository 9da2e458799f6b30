import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isProtocolError } from '../errors/protocol-error.ts';
import { arbitraryMediaStream, chunk } from '../testing/arbitrary-media.ts';
import type { MediaStreamEvent } from './media-stream-parser.ts';
import { readMediaStream } from './media-stream-reader.ts';

function streamOf(chunks: readonly Uint8Array[], close = true): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      if (close) controller.close();
    },
  });
}

async function collect(
  readable: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): Promise<MediaStreamEvent[]> {
  const out: MediaStreamEvent[] = [];
  for await (const e of readMediaStream(readable, { signal })) out.push(e);
  return out;
}

test('reads a chunked media stream into header and frame events', async () => {
  await fc.assert(
    fc.asyncProperty(arbitraryMediaStream, fc.array(fc.nat(), { maxLength: 10 }), async (s, cuts) => {
      const events = await collect(streamOf(chunk(s.bytes, cuts)));
      assert.deepEqual(events, [
        { kind: 'header', header: s.header },
        ...s.frames.map((f) => ({ kind: 'frame', header: f.header, payload: f.payload })),
      ]);
    }),
    { numRuns: 50 },
  );
});

test('a stream that ends mid-frame throws TRUNCATED', async () => {
  const s = fc.sample(
    arbitraryMediaStream.filter((x) => x.frames.length > 0),
    { numRuns: 1, seed: 42 },
  )[0];
  assert.ok(s);
  await assert.rejects(collect(streamOf([s.bytes.subarray(0, s.bytes.length - 1)])), (e) =>
    isProtocolError(e, 'TRUNCATED'),
  );
});

test('bad bytes cancel the stream with the typed error', async () => {
  let reason: unknown;
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(32)); // magic 0
    },
    cancel(r) {
      reason = r;
    },
  });
  await assert.rejects(collect(readable), (e) => isProtocolError(e, 'BAD_MAGIC'));
  assert.ok(isProtocolError(reason, 'BAD_MAGIC'));
  assert.equal(readable.locked, false);
});

test('aborting stops a read waiting for bytes', async () => {
  const ac = new AbortController();
  const readable = streamOf([], false);
  const reading = collect(readable, ac.signal);
  ac.abort(new Error('bye'));
  await assert.rejects(reading, /bye/);
  assert.equal(readable.locked, false);
});
