import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fragmentFrame, FrameType, micros, randomStreamId } from '@darktower/protocol';
import { Reassembler } from './reassembler.ts';

const streamId = randomStreamId();
const base = {
  frameType: FrameType.Audio,
  streamId,
  timestamp: micros(1_000),
  discardable: false,
  audioLevel: undefined,
};

test('fragments of any size come back as the original frame', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 5000 }),
      fc.integer({ min: 47, max: 1200 }),
      (payload, max) => {
        const r = new Reassembler();
        const parts = fragmentFrame(base, payload, 1, max);
        const out = parts.map((p) => r.push(p.header, p.payload)).filter((x) => x !== undefined);
        const [whole] = out;
        assert.ok(out.length === 1 && whole !== undefined);
        assert.deepEqual(whole.payload, payload);
        assert.equal(whole.header.payloadLength, payload.length);
      },
    ),
  );
});

test('a gap drops the partial frame and the next whole frame still passes', () => {
  const r = new Reassembler();
  const parts = fragmentFrame(base, new Uint8Array(300), 1, 146);
  const [p0, , p2] = parts;
  assert.ok(parts.length === 3 && p0 !== undefined && p2 !== undefined);
  assert.equal(r.push(p0.header, p0.payload), undefined);
  // parts[1] lost
  assert.equal(r.push(p2.header, p2.payload), undefined);
  assert.equal(r.dropped, 1);
  const next = fragmentFrame({ ...base, timestamp: micros(2_000) }, new Uint8Array([1, 2, 3]), 10, 146);
  const [n0] = next;
  assert.ok(n0 !== undefined);
  assert.deepEqual(r.push(n0.header, n0.payload)?.payload, new Uint8Array([1, 2, 3]));
});

test('pending bytes are capped', () => {
  const r = new Reassembler(500);
  const parts = fragmentFrame(base, new Uint8Array(2000), 1, 446);
  const out = parts.map((p) => r.push(p.header, p.payload));
  assert.ok(out.every((x) => x === undefined));
  assert.ok(r.dropped >= 1);
});
