import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { asStreamId } from '../ids.ts';
import { makeFrame, RecordingSink } from '../testing/frames.ts';
import { SubscriberOutput } from './subscriber-output.ts';

const S = asStreamId('00000000-0000-4000-8000-000000000001');
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function output(media: 'audio' | 'video', sink: RecordingSink, maxFrames = 4, maxBytes = 1_000_000) {
  const requests: number[] = [];
  const out = new SubscriberOutput({
    streamId: S,
    media,
    sink,
    limits: { maxFrames, maxBytes },
    onKeyframeNeeded: () => requests.push(1),
  });
  return { out, requests };
}

describe('SubscriberOutput', () => {
  test('video waits for a key frame, asks for one at start, then forwards in order', async () => {
    const sink = new RecordingSink();
    const { out, requests } = output('video', sink);
    assert.equal(requests.length, 1);
    out.push(makeFrame(S, 'delta', 1));
    out.push(makeFrame(S, 'key', 2));
    out.push(makeFrame(S, 'delta', 3));
    await tick();
    assert.deepEqual(sink.sequences(), [2, 3]);
    assert.equal(out.counters.framesDropped, 1);
    assert.equal(out.counters.framesForwarded, 2);
  });

  test('forwards the very same bytes (no copy)', async () => {
    const sink = new RecordingSink();
    const { out } = output('video', sink);
    const f = makeFrame(S, 'key', 1);
    out.push(f);
    await tick();
    assert.equal(sink.written[0], f.wire);
  });

  test('a blocked sink: deltas beyond the bound are dropped, then everything waits for the next key frame', async () => {
    const sink = new RecordingSink();
    const { out, requests } = output('video', sink, 3);
    sink.block();
    out.push(makeFrame(S, 'key', 1)); // handed to the sink, which now blocks
    for (let seq = 2; seq <= 10; seq++) out.push(makeFrame(S, 'delta', seq));
    assert.equal(out.queueDepth, 3); // 2, 3, 4 queued
    assert.ok(out.isWaitingForKeyframe);
    assert.equal(requests.length, 2); // start + after the drop
    assert.equal(out.counters.framesDropped, 6); // 5..10
    sink.unblock();
    await tick();
    out.push(makeFrame(S, 'delta', 11)); // still waiting: dropped
    out.push(makeFrame(S, 'key', 12));
    out.push(makeFrame(S, 'delta', 13));
    await tick();
    assert.deepEqual(sink.sequences(), [1, 2, 3, 4, 12, 13]);
    assert.equal(out.counters.framesDropped, 7);
  });

  test('a key frame that does not fit evicts queued deltas before older key frames', async () => {
    const sink = new RecordingSink();
    const { out } = output('video', sink, 3);
    sink.block();
    out.push(makeFrame(S, 'key', 1)); // in the sink
    out.push(makeFrame(S, 'key', 2));
    out.push(makeFrame(S, 'delta', 3));
    out.push(makeFrame(S, 'delta', 4)); // queue full: 2K 3 4
    out.push(makeFrame(S, 'key', 5)); // evicts 3, 4; key 2 stays
    assert.equal(out.queueDepth, 2);
    assert.equal(out.counters.framesDropped, 2);
    sink.unblock();
    await tick();
    assert.deepEqual(sink.sequences(), [1, 2, 5]);
  });

  test('audio drops the oldest frames when full', async () => {
    const sink = new RecordingSink();
    const { out, requests } = output('audio', sink, 2);
    assert.equal(requests.length, 0);
    sink.block();
    for (let seq = 1; seq <= 6; seq++) out.push(makeFrame(S, 'audio', seq));
    sink.unblock();
    await tick();
    assert.deepEqual(sink.sequences(), [1, 5, 6]);
    assert.equal(out.counters.framesDropped, 3);
  });

  test('the byte bound applies as well as the frame bound', () => {
    const sink = new RecordingSink();
    const { out } = output('audio', sink, 100, 500);
    sink.block();
    for (let seq = 1; seq <= 10; seq++) out.push(makeFrame(S, 'audio', seq, 154)); // 200 B on the wire
    assert.ok(out.queuedBytes <= 500);
    assert.equal(out.queueDepth, 2);
  });

  test('a failing sink closes the output and reports once', async () => {
    let reported = 0;
    const out = new SubscriberOutput({
      streamId: S,
      media: 'audio',
      sink: { write: () => Promise.reject(new Error('gone')), close: () => undefined },
      limits: { maxFrames: 4, maxBytes: 10_000 },
      onKeyframeNeeded: () => undefined,
      onSinkError: () => reported++,
    });
    out.push(makeFrame(S, 'audio', 1));
    await tick();
    assert.ok(out.isClosed);
    out.push(makeFrame(S, 'audio', 2));
    assert.equal(reported, 1);
  });

  test('property: bounded queue, every frame accounted for, delivered video always decodable', async () => {
    type Op = { op: 'frame'; key: boolean; size: number } | { op: 'block' } | { op: 'drain' };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 8,
        arbitrary: fc.record({
          op: fc.constant('frame' as const),
          key: fc.boolean(),
          size: fc.integer({ min: 0, max: 400 }),
        }),
      },
      { weight: 1, arbitrary: fc.constant({ op: 'block' as const }) },
      { weight: 1, arbitrary: fc.constant({ op: 'drain' as const }) },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { maxLength: 200 }),
        fc.integer({ min: 1, max: 8 }),
        async (ops, maxFrames) => {
          const sink = new RecordingSink();
          const { out } = output('video', sink, maxFrames, 2_000);
          const keys = new Set<number>();
          let seq = 0;
          for (const op of ops) {
            if (op.op === 'block') sink.block();
            else if (op.op === 'drain') {
              sink.unblock();
              await tick();
            } else {
              seq++;
              if (op.key) keys.add(seq);
              out.push(makeFrame(S, op.key ? 'key' : 'delta', seq, op.size));
              assert.ok(out.queueDepth <= maxFrames);
              assert.ok(out.queuedBytes <= 2_000 || out.queueDepth === 1);
            }
          }
          sink.unblock();
          await tick();
          await tick();
          const c = out.counters;
          assert.equal(c.framesForwarded + c.framesDropped + out.queueDepth, seq);
          const got = sink.sequences();
          for (let i = 0; i < got.length; i++) {
            const s = got[i] ?? -1;
            if (!keys.has(s))
              assert.equal(s, (got[i - 1] ?? -1) + 1, `delta ${s} delivered without its predecessor`);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
