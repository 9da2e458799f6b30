// writeNow: the synchronous write on a QUIC stream's writable (a forwarding server's per-frame path). Bytes it
// takes and bytes written through the writer arrive in the order they were handed over; other transports and
// finished streams have no fast path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createMemorySessionPair } from '../src/memory-session.ts';
import { writeNow } from '../src/webtransport/write-now.ts';
import { readAll, sha256, startEchoServer, within } from './helpers.ts';

test('writeNow and writer writes interleave in order on a real QUIC stream', async () => {
  let received!: (bytes: Uint8Array) => void;
  const got = new Promise<Uint8Array>((resolve) => (received = resolve));
  const t = await startEchoServer({
    onSession: (s) => {
      void (async () => {
        for await (const readable of s.incomingUnidirectionalStreams) received(await readAll(readable));
      })();
    },
  });
  try {
    const session = await t.connect();
    const writable = await session.createUnidirectionalStream();
    const writer = writable.getWriter();
    const chunks = Array.from({ length: 200 }, (_, i) => randomBytes(500 + ((i * 37) % 900)));
    let direct = 0;
    for (const [i, chunk] of chunks.entries()) {
      if (i % 3 === 0) {
        await writer.write(chunk); // settled: nothing pending, so a direct write may follow
        continue;
      }
      const n = writeNow(writable, chunk);
      assert.notEqual(n, undefined, 'a QUIC stream has the fast path');
      direct += n ?? 0;
      if (n !== chunk.length) await writer.write(chunk.subarray(n ?? 0));
    }
    assert.ok(direct > 0, 'quiche took bytes synchronously');
    await writer.close();
    assert.equal(writeNow(writable, chunks[0] ?? new Uint8Array(1)), undefined, 'a finished stream');
    const bytes = await within(got, 10_000, 'stream at the server');
    assert.equal(sha256(bytes), sha256(Buffer.concat(chunks)));
    session.close();
  } finally {
    await t.server.close();
  }
});

test('writeNow is undefined where there is no fast path (in-memory session)', async () => {
  const [a, b] = createMemorySessionPair();
  const writable = await a.createUnidirectionalStream();
  assert.equal(writeNow(writable, new Uint8Array([1, 2, 3])), undefined);
  a.close();
  b.close();
});
