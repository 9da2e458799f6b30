import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layerForSlot, simulcastLadder } from './simulcast-ladder.ts';

test('a 640x480 camera gets quarter, half and full layers, low to high, bitrate by pixels^0.75', () => {
  const layers = simulcastLadder({ width: 640, height: 480, framerate: 30, maxBitrate: 800_000 });
  assert.deepEqual(
    layers.map((l) => [l.layerId, l.width, l.height, l.maxBitrate, l.maxFramerate]),
    [
      ['q', 160, 120, 100_000, 30],
      ['h', 320, 240, 282_843, 30],
      ['f', 640, 480, 800_000, 30],
    ],
  );
});

test('small sources get fewer layers; sizes stay even', () => {
  assert.deepEqual(
    simulcastLadder({ width: 320, height: 240, framerate: 15, maxBitrate: 300_000 }).map((l) => l.layerId),
    ['h', 'f'],
  );
  assert.deepEqual(
    simulcastLadder({ width: 160, height: 120, framerate: 15, maxBitrate: 100_000 }).map((l) => l.layerId),
    ['f'],
  );
  for (const l of simulcastLadder({ width: 1281, height: 721, framerate: 30, maxBitrate: 2_000_000 })) {
    assert.equal(l.width % 2, 0);
    assert.equal(l.height % 2, 0);
  }
});

test('a slot gets the smallest layer covering it at the pixel ratio, else the largest', () => {
  const layers = simulcastLadder({ width: 640, height: 480, framerate: 30, maxBitrate: 800_000 });
  assert.equal(layerForSlot(layers, { width: 160, height: 120 })?.layerId, 'q');
  assert.equal(layerForSlot(layers, { width: 170, height: 128 })?.layerId, 'q');
  assert.equal(layerForSlot(layers, { width: 200, height: 150 })?.layerId, 'h');
  assert.equal(layerForSlot(layers, { width: 200, height: 150 }, 2)?.layerId, 'f');
  assert.equal(layerForSlot(layers, { width: 1920, height: 1080 })?.layerId, 'f');
  const none: { width: number; height: number }[] = [];
  assert.equal(layerForSlot(none, { width: 1, height: 1 }), undefined);
});
