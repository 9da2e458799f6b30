import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DatagramQueue } from './datagram-queue.ts';

const d = (n: number): Uint8Array => Uint8Array.of(n);
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('DatagramQueue', () => {
  test('the readable yields datagrams in order and drops the oldest when full', async () => {
    const q = new DatagramQueue(3);
    for (let i = 0; i < 5; i++) q.push(d(i));
    assert.equal(q.dropped, 2);
    const reader = q.readable.getReader();
    const got: number[] = [];
    for (let i = 0; i < 3; i++) got.push((await reader.read()).value?.[0] ?? -1);
    assert.deepEqual(got, [2, 3, 4]);
    q.close();
    assert.equal((await reader.read()).done, true);
  });

  test('a batch handler gets waiting datagrams first, then one batch per turn', async () => {
    const q = new DatagramQueue(100);
    q.push(d(1));
    const batches: number[][] = [];
    const remove = q.setBatchHandler((batch) => batches.push(batch.map((x) => x[0] ?? -1)));
    q.push(d(2));
    q.push(d(3));
    await turn();
    q.push(d(4));
    await turn();
    assert.deepEqual(batches, [[1, 2, 3], [4]]);
    remove();
    q.push(d(5));
    const r = await q.readable.getReader().read();
    assert.equal(r.value?.[0], 5, 'the readable gets datagrams again once the handler is removed');
    assert.deepEqual(batches, [[1, 2, 3], [4]]);
  });

  test('the readable gets nothing while a handler is set; batches are bounded by the limit', async () => {
    const q = new DatagramQueue(4);
    const reader = q.readable.getReader();
    let readerGot = false;
    void reader.read().then(() => (readerGot = true));
    const batches: number[][] = [];
    q.setBatchHandler((batch) => batches.push(batch.map((x) => x[0] ?? -1)));
    for (let i = 0; i < 10; i++) q.push(d(i));
    await turn();
    assert.deepEqual(batches, [[6, 7, 8, 9]]);
    assert.equal(q.dropped, 6);
    assert.equal(readerGot, false);
  });

  test('a handler that throws loses that batch only', async () => {
    const q = new DatagramQueue(10);
    const seen: number[] = [];
    q.setBatchHandler((batch) => {
      seen.push(...batch.map((x) => x[0] ?? -1));
      if (seen.length === 1) throw new Error('application bug');
    });
    q.push(d(1));
    await turn();
    q.push(d(2));
    await turn();
    assert.deepEqual(seen, [1, 2]);
  });

  test('replacing the handler: the old one gets nothing more, and its remover is a no-op', async () => {
    const q = new DatagramQueue(10);
    const first: number[] = [];
    const second: number[] = [];
    const removeFirst = q.setBatchHandler((b) => first.push(...b.map((x) => x[0] ?? -1)));
    q.setBatchHandler((b) => second.push(...b.map((x) => x[0] ?? -1)));
    removeFirst();
    q.push(d(7));
    await turn();
    assert.deepEqual(first, []);
    assert.deepEqual(second, [7]);
  });
});
