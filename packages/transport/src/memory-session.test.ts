import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemorySessionPair } from './memory-session.ts';

async function readAll(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of readable) parts.push(chunk);
  return Buffer.concat(parts);
}

test('bidirectional streams echo both ways', async () => {
  const [a, b] = createMemorySessionPair();
  const echo = (async () => {
    for await (const stream of b.incomingBidirectionalStreams) {
      await stream.readable.pipeTo(stream.writable);
    }
  })();
  const s = await a.createBidirectionalStream();
  const w = s.writable.getWriter();
  await w.write(new Uint8Array([1, 2, 3]));
  await w.close();
  assert.deepEqual([...(await readAll(s.readable))], [1, 2, 3]);
  a.close({ closeCode: 7, reason: 'done' });
  assert.deepEqual(await b.closed, { closeCode: 7, reason: 'done' });
  await echo;
});

test('unidirectional stream delivers bytes and ends', async () => {
  const [a, b] = createMemorySessionPair();
  const w = (await a.createUnidirectionalStream()).getWriter();
  const reader = b.incomingUnidirectionalStreams.getReader();
  const incoming = await reader.read();
  assert.ok(!incoming.done);
  await w.write(new Uint8Array([9]));
  await w.close();
  assert.deepEqual([...(await readAll(incoming.value))], [9]);
  a.close();
});

test('datagram queue is bounded and drops oldest first', async () => {
  const [a, b] = createMemorySessionPair({ datagramQueue: 2 });
  const w = a.datagrams.writable.getWriter();
  for (const n of [1, 2, 3]) await w.write(new Uint8Array([n]));
  const r = b.datagrams.readable.getReader();
  assert.deepEqual([...((await r.read()).value ?? [])], [2]);
  assert.deepEqual([...((await r.read()).value ?? [])], [3]);
  assert.equal(b.stats().datagramsDropped, 1);
  a.close();
  assert.equal((await r.read()).done, true);
});

test('close is idempotent and fails later stream creation', async () => {
  const [a, b] = createMemorySessionPair();
  a.close();
  a.close({ closeCode: 5 });
  assert.deepEqual(await a.closed, { closeCode: 0, reason: '' });
  await assert.rejects(b.createBidirectionalStream());
});
