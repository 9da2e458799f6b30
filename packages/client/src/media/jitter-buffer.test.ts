import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameType, micros, randomStreamId, type FrameHeader } from '@darktower/protocol';
import { JitterBuffer, PlayoutClock } from './jitter-buffer.ts';

const streamId = randomStreamId();
function header(sequence: number, timestamp: number): FrameHeader {
  return {
    frameType: FrameType.VideoDelta,
    streamId,
    timestamp: micros(timestamp),
    sequence,
    payloadLength: 0,
    endOfFrame: true,
    discardable: false,
    audioLevel: undefined,
  };
}

test('releases in sequence order whatever the arrival order, each frame once', () => {
  fc.assert(
    fc.property(fc.shuffledSubarray([...Array(40).keys()], { minLength: 40, maxLength: 40 }), (order) => {
      const dropped: number[] = [];
      const buf = new JitterBuffer<number>(new PlayoutClock({ targetDelayMs: 50 }), {
        onDrop: (n) => dropped.push(n),
      });
      for (const i of order) buf.push(header(i + 1, 1_000_000 + i * 33_000), i, 2_000_000 + i * 33_000);
      const out = buf.pop(Number.MAX_SAFE_INTEGER).map((f) => f.item);
      assert.deepEqual(out, [...Array(40).keys()]);
      assert.deepEqual(dropped, []);
    }),
  );
});

test('holds frames until capture time + transit + target delay; late and duplicate frames are dropped', () => {
  const dropped: number[] = [];
  const clock = new PlayoutClock({ targetDelayMs: 50 });
  const buf = new JitterBuffer<number>(clock, { onDrop: (n) => dropped.push(n) });
  buf.push(header(1, 1_000_000), 1, 1_010_000); // transit 10 ms
  assert.deepEqual(buf.pop(1_059_000), []);
  assert.deepEqual(
    buf.pop(1_060_000).map((f) => f.item),
    [1],
  );
  buf.push(header(1, 1_000_000), 99, 1_070_000); // already played
  buf.push(header(3, 1_066_000), 3, 1_080_000);
  buf.push(header(3, 1_066_000), 33, 1_081_000); // duplicate
  assert.deepEqual(dropped, [99, 33]);
  assert.equal(buf.nextDueInUs(1_080_000), 46_000);
});

test('one clock for two streams releases audio and video of the same capture instant together', () => {
  const clock = new PlayoutClock({ targetDelayMs: 40 });
  const audio = new JitterBuffer<string>(clock);
  const video = new JitterBuffer<string>(clock);
  audio.push(header(1, 5_000_000), 'a', 5_005_000); // fast path
  video.push(header(1, 5_000_000), 'v', 5_030_000); // slower path
  const at = clock.playoutAt(5_000_000);
  assert.deepEqual(audio.pop(at - 1), []);
  assert.deepEqual(video.pop(at - 1), []);
  assert.deepEqual(
    audio.pop(at).map((f) => f.item),
    ['a'],
  );
  assert.deepEqual(
    video.pop(at).map((f) => f.item),
    ['v'],
  );
});

test('capacity bounds memory and reports what it drops', () => {
  const dropped: number[] = [];
  const buf = new JitterBuffer<number>(new PlayoutClock(), { capacity: 4, onDrop: (n) => dropped.push(n) });
  for (let i = 1; i <= 6; i++) buf.push(header(i, 0), i, 1);
  assert.equal(buf.size, 4);
  assert.deepEqual(dropped, [1, 2]);
  buf.clear();
  assert.deepEqual(dropped, [1, 2, 3, 4, 5, 6]);
});
