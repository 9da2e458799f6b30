import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemorySessionPair } from './memory-session.ts';
import { runSessionContract } from './testing/session-contract.ts';

runSessionContract('memory', () => {
  const [client, server] = createMemorySessionPair();
  return Promise.resolve({ client, server, cleanup: () => Promise.resolve() });
});

test('memory datagram queue is bounded and drops oldest first', async () => {
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

test('memory close is idempotent', async () => {
  const [a, b] = createMemorySessionPair();
  a.close();
  a.close({ closeCode: 5 });
  assert.deepEqual(await a.closed, { closeCode: 0, reason: '' });
  await assert.rejects(b.createBidirectionalStream());
});

test('memory close ends streams whose reader and writer are locked', async () => {
  const [a, b] = createMemorySessionPair();
  const writer = (await a.createUnidirectionalStream()).getWriter();
  const incoming = await b.incomingUnidirectionalStreams.getReader().read();
  assert.ok(!incoming.done);
  const reader = incoming.value.getReader();
  const pending = reader.read();
  a.close({ closeCode: 3, reason: 'gone' });
  await assert.rejects(pending);
  await assert.rejects(writer.write(new Uint8Array([1])));
});
