import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BitrateController } from './bitrate-controller.ts';

const ladder = [
  { layerId: 'q', maxBitrate: 100_000 },
  { layerId: 'h', maxBitrate: 300_000 },
  { layerId: 'f', maxBitrate: 800_000 },
];
const summary = (c: BitrateController, now: number): string =>
  c
    .targets(now)
    .map((t) => (t.active ? `${t.layerId}:${Math.round(t.bitrate / 1000)}` : `${t.layerId}:off`))
    .join(' ');

test('a clean uplink and no hints: every layer at its ceiling', () => {
  const c = new BitrateController(ladder);
  for (let t = 0; t < 5_000; t += 100) c.onTransport({ nowMs: t, backlog: 0, framesDropped: 0 });
  assert.equal(summary(c, 5_000), 'q:100 h:300 f:800');
});

test('congestion pauses the top layer first, then the middle; the lowest stays; then it climbs back', () => {
  const c = new BitrateController(ladder);
  let t = 0;
  const congested = (ms: number): void => {
    for (const end = t + ms; t < end; t += 100) c.onTransport({ nowMs: t, backlog: 6, framesDropped: 0 });
  };
  const clean = (ms: number): void => {
    for (const end = t + ms; t < end; t += 100) c.onTransport({ nowMs: t, backlog: 0, framesDropped: 0 });
  };
  congested(1_000); // two decreases: 1.2M -> 867k
  assert.equal(c.estimate, 867_000);
  assert.match(summary(c, t), /^q:100 h:300 f:467$/);
  congested(2_500); // 867k * 0.85^5
  assert.match(summary(c, t), /^q:100 h:285 f:off$/);
  congested(5_000);
  assert.match(summary(c, t), /^q:\d+ h:off f:off$/);
  congested(20_000);
  assert.equal(summary(c, t), 'q:50 h:off f:off', 'the floor');
  clean(60_000);
  assert.equal(summary(c, t), 'q:100 h:300 f:800');
});

test('dropped frames count as congestion like a backlog does', () => {
  const c = new BitrateController(ladder);
  c.onTransport({ nowMs: 0, backlog: 0, framesDropped: 3 });
  c.onTransport({ nowMs: 100, backlog: 0, framesDropped: 3 });
  assert.equal(c.estimate, 1_200_000);
  c.onTransport({ nowMs: 200, backlog: 0, framesDropped: 5 });
  assert.equal(c.estimate, 1_020_000);
});

test('simulcast follows the best subscriber, a single layer the slowest; hints expire', () => {
  const s = new BitrateController(ladder);
  s.onSubscriberHint(0, 200_000);
  s.onSubscriberHint(100, 500_000);
  assert.equal(summary(s, 200), 'q:100 h:300 f:500');
  s.onSubscriberHint(6_000, 120_000);
  assert.equal(summary(s, 6_000), 'q:100 h:120 f:off', 'older hints left the window');
  const single = new BitrateController([{ layerId: '', maxBitrate: 1_500_000 }], { mode: 'single' });
  single.onSubscriberHint(0, 900_000);
  single.onSubscriberHint(10, 400_000);
  assert.equal(single.targets(20)[0]?.bitrate, 400_000);
  assert.equal(single.targets(10_000)[0]?.bitrate, 1_500_000);
  single.onSubscriberHint(10_000, 0);
  assert.equal(single.targets(10_000)[0]?.bitrate, 1_500_000, 'a zero hint says nothing');
});
