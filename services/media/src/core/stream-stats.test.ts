import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { asStreamId } from '../ids.ts';
import { makeFrame } from '../testing/frames.ts';
import { StreamStats } from './stream-stats.ts';
import { CapacityMeter } from './capacity.ts';

const S = asStreamId('00000000-0000-4000-8000-000000000001');

describe('StreamStats', () => {
  test('loss from sequence gaps, bitrate over the window, audio level', () => {
    const stats = new StreamStats();
    let now = 0;
    for (const seq of [1, 2, 3, 5, 6, 10]) {
      const f = { ...makeFrame(S, 'audio', seq, 54), timestampUs: seq * 20_000, audioLevel: 30 };
      stats.record(f, seq * 20_000 + 5_000, now);
      now += 100;
    }
    const snap = stats.snapshot(1000);
    assert.equal(snap.framesReceived, 6);
    assert.equal(snap.framesLost, 4);
    assert.equal(snap.packetLoss, 0.4);
    assert.equal(snap.bitrate, 6 * 100 * 8); // 600 bytes in one second
    assert.equal(snap.jitterMs, 0); // constant transit time
    assert.equal(snap.audioLevel, 30);
    assert.equal(snap.voiceActivity, true);
  });

  test('jitter follows varying transit times', () => {
    const stats = new StreamStats();
    for (let seq = 1; seq <= 50; seq++) {
      const f = { ...makeFrame(S, 'audio', seq), timestampUs: seq * 20_000 };
      stats.record(f, seq * 20_000 + (seq % 2 === 0 ? 8_000 : 0), 0);
    }
    const j = stats.snapshot(0).jitterMs;
    assert.ok(j > 6 && j <= 8, `jitter ${j}`);
  });
});

describe('CapacityMeter', () => {
  test('warns at 70% and refuses at 80% of the configured bandwidth', () => {
    const m = new CapacityMeter({ maxBandwidthBps: 1_000_000 });
    m.sample(0);
    m.addIn(40_000); // 320 kbit
    m.addOut(40_000);
    m.sample(1000);
    assert.equal(m.level, 'ok');
    m.addIn(45_000);
    m.addOut(45_000); // 720 kbit/s
    m.sample(2000);
    assert.equal(m.level, 'warn');
    assert.equal(m.acceptsParticipants, true);
    m.addIn(50_000);
    m.addOut(50_000); // 800 kbit/s
    m.sample(3000);
    assert.equal(m.level, 'refuse');
    assert.equal(m.acceptsParticipants, false);
    assert.equal(m.totalBytesIn, 135_000);
  });
});
