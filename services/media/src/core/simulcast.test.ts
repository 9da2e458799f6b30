import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { asStreamId } from '../ids.ts';
import { makeFrame } from '../testing/frames.ts';
import { LayerSwitch, selectLayer } from './simulcast.ts';

const L = [
  asStreamId('00000000-0000-4000-8000-00000000000a'),
  asStreamId('00000000-0000-4000-8000-00000000000b'),
  asStreamId('00000000-0000-4000-8000-00000000000c'),
] as const;
const layers = [
  { streamId: L[0], maxBitrate: 150_000 },
  { streamId: L[1], maxBitrate: 500_000 },
  { streamId: L[2], maxBitrate: 2_500_000 },
];

describe('selectLayer', () => {
  test('highest layer within the slot and the bandwidth, never below the lowest', () => {
    assert.equal(selectLayer(layers, 2, 10_000_000), 2);
    assert.equal(selectLayer(layers, 1, 10_000_000), 1);
    assert.equal(selectLayer(layers, 2, 600_000), 1);
    assert.equal(selectLayer(layers, 2, 10), 0);
    assert.equal(selectLayer(layers, 99, Number.POSITIVE_INFINITY), 2);
  });

  test('a paused layer is skipped (its subscribers would wait for a key frame that never comes)', () => {
    const paused = layers.map((l, i) => ({ ...l, paused: i === 2 }));
    assert.equal(selectLayer(paused, 2, 10_000_000), 1);
    assert.equal(selectLayer(paused, 1, 10_000_000), 1);
  });

  test('measured bitrate wins over the declared one', () => {
    const measured = layers.map((l, i) => ({ ...l, measuredBitrate: i === 2 ? 400_000 : undefined }));
    assert.equal(selectLayer(measured, 2, 600_000), 2);
  });
});

describe('LayerSwitch', () => {
  test('starts at the target key frame and switches only at a key frame of the new layer', () => {
    const asked: string[] = [];
    const sw = new LayerSwitch(L, 2, (l) => asked.push(l));
    assert.equal(sw.accept(makeFrame(L[2], 'delta', 1)), false);
    assert.equal(sw.accept(makeFrame(L[0], 'key', 1)), false);
    assert.equal(sw.accept(makeFrame(L[2], 'key', 2)), true);
    assert.equal(sw.current, L[2]);
    sw.setTarget(0);
    assert.deepEqual(asked, [L[0]]);
    assert.equal(sw.accept(makeFrame(L[0], 'delta', 5)), false); // not a key: keep the old layer
    assert.equal(sw.accept(makeFrame(L[2], 'delta', 3)), true);
    assert.equal(sw.accept(makeFrame(L[0], 'key', 6)), true);
    assert.equal(sw.accept(makeFrame(L[2], 'delta', 4)), false);
    assert.equal(sw.current, L[0]);
    assert.equal(sw.switches, 1);
  });

  test('retargeting back to the current layer cancels a pending switch', () => {
    const sw = new LayerSwitch(L, 1, () => undefined);
    sw.accept(makeFrame(L[1], 'key', 1));
    sw.setTarget(2);
    sw.setTarget(1);
    assert.equal(sw.accept(makeFrame(L[2], 'key', 1)), false);
    assert.equal(sw.accept(makeFrame(L[1], 'delta', 2)), true);
  });
});
