import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReceiveStats } from './receive-stats.ts';

test('bitrate and frame rate over the window; a clean stream is probed upwards', () => {
  const r = new ReceiveStats(2_000);
  for (let i = 0; i < 40; i++) r.record(i + 1, 1_000, 1_000 + i * 50); // 20 fps, 1000 B each
  const s = r.snapshot(3_000);
  assert.ok(s !== undefined);
  assert.equal(s.packetLoss, 0);
  assert.ok(Math.abs(s.framesPerSecond - 20) < 1.5, String(s.framesPerSecond));
  assert.ok(Math.abs(s.bitrateBps - 160_000) < 12_000, String(s.bitrateBps));
  assert.equal(s.availableBitrateBps, Math.round(s.bitrateBps * 1.5));
});

test('sequence gaps count as loss and make the estimate back off', () => {
  const r = new ReceiveStats(2_000);
  for (let i = 0; i < 40; i++) if (i % 4 !== 0) r.record(i + 1, 1_000, 1_000 + i * 50);
  const s = r.snapshot(3_000);
  assert.ok(s !== undefined);
  assert.ok(s.packetLoss > 0.2 && s.packetLoss < 0.3, String(s.packetLoss));
  assert.ok(s.availableBitrateBps < s.bitrateBps);
});

test('old samples leave the window; nothing to say without samples', () => {
  const r = new ReceiveStats(1_000);
  assert.equal(r.snapshot(0), undefined);
  r.record(1, 100, 0);
  r.record(2, 100, 10);
  assert.equal(r.snapshot(5_000), undefined);
});
