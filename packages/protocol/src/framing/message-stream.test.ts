import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create, equals } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { isProtocolError } from '../errors/protocol-error.ts';
import { type ClientMessage, ClientMessageSchema } from '../gen/darktower/v1/signaling_pb.ts';
import { arbitraryMessage } from '../testing/arbitrary-message.ts';
import { chunk, concat } from '../testing/arbitrary-media.ts';
import { encodeClientMessage } from './envelopes.ts';
import { readMessages } from './message-reader.ts';
import { MessageWriter } from './message-writer.ts';

function streamOf(
  chunks: readonly Uint8Array[],
  { close = true } = {},
): { readable: ReadableStream<Uint8Array>; cancelled: () => unknown } {
  let cancelReason: unknown = 'not cancelled';
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      if (close) controller.close();
    },
    cancel(reason) {
      cancelReason = reason;
    },
  });
  return { readable, cancelled: () => cancelReason };
}

async function collect(readable: ReadableStream<Uint8Array>, signal?: AbortSignal): Promise<ClientMessage[]> {
  const out: ClientMessage[] = [];
  for await (const m of readMessages(readable, ClientMessageSchema, { signal })) out.push(m);
  return out;
}

const heartbeat = (n: number): ClientMessage =>
  create(ClientMessageSchema, {
    requestId: n,
    kind: { case: 'heartbeat', value: { clientTimeMs: BigInt(n) } },
  });

describe('readMessages', () => {
  test('reads every message of a stream, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbitraryMessage(ClientMessageSchema), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (msgs, cuts) => {
          const wire = concat(msgs.map((m) => encodeClientMessage(m)));
          const got = await collect(streamOf(chunk(wire, cuts)).readable);
          assert.equal(got.length, msgs.length);
          got.forEach((m, i) => {
            const want = msgs[i];
            assert.ok(want !== undefined && equals(ClientMessageSchema, m, want));
          });
        },
      ),
      { numRuns: 50 },
    );
  });

  test('a stream ending inside a message throws TRUNCATED after the complete ones', async () => {
    const wire = concat([
      encodeClientMessage(heartbeat(1)),
      encodeClientMessage(heartbeat(2)).subarray(0, 5),
    ]);
    const seen: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const m of readMessages(streamOf([wire]).readable, ClientMessageSchema))
          seen.push(m.requestId);
      })(),
      (e) => isProtocolError(e, 'TRUNCATED'),
    );
    assert.deepEqual(seen, [1]);
  });

  test('an oversized length cancels the stream with LENGTH_OVER_CAP', async () => {
    const { readable, cancelled } = streamOf([new Uint8Array([0x7f, 0, 0, 0]), new Uint8Array(100)]);
    await assert.rejects(collect(readable), (e) => isProtocolError(e, 'LENGTH_OVER_CAP'));
    assert.ok(isProtocolError(cancelled(), 'LENGTH_OVER_CAP'));
  });

  test('breaking out of the loop cancels the stream and releases the lock', async () => {
    const wire = concat([encodeClientMessage(heartbeat(1)), encodeClientMessage(heartbeat(2))]);
    const { readable, cancelled } = streamOf([wire], { close: false });
    for await (const m of readMessages(readable, ClientMessageSchema)) {
      assert.equal(m.requestId, 1);
      break;
    }
    assert.equal(cancelled(), undefined);
    assert.equal(readable.locked, false);
  });

  test('aborting the signal stops a read that is waiting for bytes', async () => {
    let cancelReason: unknown;
    const readable = new ReadableStream<Uint8Array>({
      cancel(reason) {
        cancelReason = reason;
      },
    });
    const ac = new AbortController();
    const reading = collect(readable, ac.signal);
    const reason = new Error('stop');
    ac.abort(reason);
    await assert.rejects(reading, (e) => e === reason);
    assert.equal(cancelReason, reason);
    assert.equal(readable.locked, false);
  });

  test('an already aborted signal throws before locking the stream', async () => {
    const { readable } = streamOf([]);
    await assert.rejects(collect(readable, AbortSignal.abort(new Error('early'))), /early/);
    assert.equal(readable.locked, false);
  });
});

describe('MessageWriter', () => {
  test('writes messages a reader on the other end decodes, then closes with FIN', async () => {
    const pipe = new TransformStream<Uint8Array, Uint8Array>();
    const writer = new MessageWriter(pipe.writable, ClientMessageSchema);
    const reading = collect(pipe.readable);
    await Promise.all([writer.write(heartbeat(1)), writer.write(heartbeat(2))]);
    await writer.write(heartbeat(3));
    await writer.close();
    await writer.close(); // idempotent
    await writer.closed;
    assert.deepEqual(
      (await reading).map((m) => m.requestId),
      [1, 2, 3],
    );
    await assert.rejects(writer.write(heartbeat(4)), (e) => isProtocolError(e, 'CLOSED'));
  });

  test('refuses a message over the cap without writing anything', async () => {
    const pipe = new TransformStream<Uint8Array, Uint8Array>();
    await using writer = new MessageWriter(pipe.writable, ClientMessageSchema, { maxMessageSize: 8 });
    const big = create(ClientMessageSchema, { traceparent: 'x'.repeat(64) });
    await assert.rejects(writer.write(big), (e) => isProtocolError(e, 'LENGTH_OVER_CAP'));
    assert.equal(writer.isClosed, false);
  });

  test('close(reason) aborts the stream; the reader sees the error', async () => {
    const pipe = new TransformStream<Uint8Array, Uint8Array>();
    const writer = new MessageWriter(pipe.writable, ClientMessageSchema);
    const reading = collect(pipe.readable);
    const reason = new Error('reset');
    await writer.close(reason);
    await assert.rejects(reading, (e) => e === reason);
  });

  test('aborting the signal while blocked by backpressure aborts the stream', async () => {
    // A sink that never finishes a write until the stream is aborted (as a congested QUIC stream would).
    const stuck = new WritableStream<Uint8Array>({
      write: (_chunk, controller) =>
        new Promise<void>((_resolve, reject) => {
          controller.signal.addEventListener('abort', () => {
            reject(controller.signal.reason as Error);
          });
        }),
    });
    const writer = new MessageWriter(stuck, ClientMessageSchema);
    const ac = new AbortController();
    const first = writer.write(heartbeat(1), ac.signal);
    ac.abort(new Error('deadline'));
    await assert.rejects(first, /deadline/);
    await writer.closed;
    assert.equal(writer.isClosed, true);
  });

  test('the writer closes itself when the stream fails underneath it', async () => {
    const failing = new WritableStream<Uint8Array>({
      write() {
        throw new Error('peer reset');
      },
    });
    const writer = new MessageWriter(failing, ClientMessageSchema);
    await assert.rejects(writer.write(heartbeat(1)), (e) => isProtocolError(e, 'CLOSED'));
    await writer.closed;
    assert.equal(writer.isClosed, true);
  });
});
