import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Millis, ParticipantId, type Clock } from '../ids.ts';
import { ActiveSpeakerDetector, loudnessFromDbov, type SpeakerChange } from './active-speaker-detector.ts';

class ManualClock implements Clock {
  t = 0;
  now(): Millis {
    return Millis(this.t);
  }
}
const A = ParticipantId('alice');
const B = ParticipantId('bob');
const C = ParticipantId('carol');

/** Feeds `levels[i]` for every participant every `stepMs`, returning all changes. */
function feed(
  detector: ActiveSpeakerDetector,
  clock: ManualClock,
  steps: number,
  levels: (step: number) => Partial<Record<string, number>>,
  stepMs = 100,
): SpeakerChange[] {
  const changes: SpeakerChange[] = [];
  for (let i = 0; i < steps; i++) {
    clock.t += stepMs;
    for (const [id, level] of Object.entries(levels(i))) {
      const change = detector.report(ParticipantId(id), level ?? 0);
      if (change) changes.push(change);
    }
  }
  return changes;
}

test('the first clear speaker becomes active at once', () => {
  const clock = new ManualClock();
  const d = new ActiveSpeakerDetector(clock);
  const changes = feed(d, clock, 3, () => ({ alice: 0.6, bob: 0.01 }));
  assert.deepEqual(changes, [{ current: A, previous: null }]);
  assert.equal(d.current, A);
});

test('alternating close levels never flap', () => {
  const clock = new ManualClock();
  const d = new ActiveSpeakerDetector(clock);
  feed(d, clock, 5, () => ({ alice: 0.6, bob: 0.55 }));
  assert.equal(d.current, A);
  // For 60 s the two swap being louder every 100 ms, by a wide instantaneous gap of 0.15.
  const changes = feed(d, clock, 600, (i) =>
    i % 2 === 0 ? { alice: 0.45, bob: 0.6 } : { alice: 0.6, bob: 0.45 },
  );
  assert.deepEqual(changes, []);
  // Also slower alternation (every 400 ms, shorter than the dominance window).
  const slow = feed(d, clock, 600, (i) =>
    Math.floor(i / 4) % 2 === 0 ? { alice: 0.3, bob: 0.6 } : { alice: 0.6, bob: 0.3 },
  );
  assert.deepEqual(slow, []);
});

test('a sustained louder speaker takes over, once, after the dominance window', () => {
  const clock = new ManualClock();
  const d = new ActiveSpeakerDetector(clock);
  feed(d, clock, 20, () => ({ alice: 0.6, bob: 0.02 }));
  const changes = feed(d, clock, 50, () => ({ alice: 0.02, bob: 0.7 }));
  assert.deepEqual(changes, [{ current: B, previous: A }]);
  assert.deepEqual(d.recentSpeakers, [B, A]);
});

test('a short burst (cough) does not steal the floor', () => {
  const clock = new ManualClock();
  const d = new ActiveSpeakerDetector(clock);
  feed(d, clock, 30, () => ({ alice: 0.5, bob: 0.0 }));
  const changes = feed(d, clock, 30, (i) => ({ alice: 0.5, bob: i >= 10 && i < 13 ? 1 : 0 }));
  assert.deepEqual(changes, []);
  assert.equal(d.current, A);
});

test('silence keeps the last speaker; a stale participant counts as silent', () => {
  const clock = new ManualClock();
  const d = new ActiveSpeakerDetector(clock);
  feed(d, clock, 10, () => ({ alice: 0.6 }));
  feed(d, clock, 50, () => ({ alice: 0, bob: 0.01 }));
  assert.equal(d.current, A);
  // Alice stops reporting entirely; Carol speaks.
  const changes = feed(d, clock, 30, () => ({ carol: 0.5 }));
  assert.deepEqual(changes, [{ current: C, previous: A }]);
});

test('the speaker leaving hands over to the previous one; garbage levels are clamped', () => {
  const clock = new ManualClock();
  const d = new ActiveSpeakerDetector(clock);
  feed(d, clock, 10, () => ({ alice: 0.6 }));
  feed(d, clock, 40, () => ({ alice: 0, bob: 0.8 }));
  assert.equal(d.current, B);
  assert.deepEqual(d.remove(B), { current: A, previous: B });
  assert.equal(d.remove(C), undefined);
  assert.equal(d.report(C, Number.NaN), undefined);
  assert.equal(d.report(C, -5), undefined);
  assert.equal(loudnessFromDbov(0), 1);
  assert.equal(loudnessFromDbov(127), 0);
  assert.equal(loudnessFromDbov(Number.NaN), 0);
});
