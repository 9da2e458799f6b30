import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  activeKey,
  pendingKeys,
  publishedKeys,
  rotationDue,
  successorActivation,
  type KeyTimes,
} from './rotation-policy.ts';

const day = 86_400_000;
const hour = 3_600_000;
const t0 = new Date('2026-01-01T00:00:00Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);
const PERIOD = 7 * day;
const PREPUBLISH = 2 * hour;

test('weekly schedule: successor published ahead, signs on time, predecessor kept one period', () => {
  const a: KeyTimes = { kid: 'a', createdAt: t0, activateAt: null, retireAt: null };
  assert.equal(rotationDue([a], at(PERIOD - PREPUBLISH - 1), PERIOD, PREPUBLISH), false);
  assert.equal(rotationDue([a], at(PERIOD - PREPUBLISH), PERIOD, PREPUBLISH), true);
  assert.deepEqual(successorActivation([a], at(PERIOD - PREPUBLISH), PERIOD), at(PERIOD));
  // The rotation at PERIOD - PREPUBLISH creates b (activating at PERIOD) and schedules a's retirement.
  const keys: KeyTimes[] = [
    { ...a, retireAt: at(2 * PERIOD) },
    { kid: 'b', createdAt: at(PERIOD - PREPUBLISH), activateAt: at(PERIOD), retireAt: null },
  ];
  const before = at(PERIOD - 1);
  assert.equal(activeKey(keys, before)?.kid, 'a');
  assert.deepEqual(
    pendingKeys(keys, before).map((k) => k.kid),
    ['b'],
  );
  assert.deepEqual(
    publishedKeys(keys, before).map((k) => k.kid),
    ['a', 'b'],
  );
  assert.equal(rotationDue(keys, before, PERIOD, PREPUBLISH), false, 'a successor is already pending');
  assert.equal(activeKey(keys, at(PERIOD))?.kid, 'b');
  assert.deepEqual(
    publishedKeys(keys, at(PERIOD)).map((k) => k.kid),
    ['b', 'a'],
  );
  assert.deepEqual(
    publishedKeys(keys, at(2 * PERIOD)).map((k) => k.kid),
    ['b'],
  );
  assert.equal(rotationDue(keys, at(2 * PERIOD - PREPUBLISH), PERIOD, PREPUBLISH), true);
});

test('no key, or an overdue key: rotate now', () => {
  assert.equal(rotationDue([], t0, PERIOD, PREPUBLISH), true);
  assert.deepEqual(successorActivation([], t0, PERIOD), t0);
  const old: KeyTimes = { kid: 'old', createdAt: t0, activateAt: null, retireAt: null };
  assert.deepEqual(successorActivation([old], at(30 * day), PERIOD), at(30 * day), 'never in the past');
  assert.equal(activeKey([{ ...old, retireAt: at(1) }], at(1)), undefined);
  // An admin rotation in the same millisecond as the previous activation: the unsuperseded key signs.
  const superseded: KeyTimes = { ...old, retireAt: at(PERIOD) };
  const fresh: KeyTimes = { kid: 'fresh', createdAt: t0, activateAt: t0, retireAt: null };
  assert.equal(activeKey([superseded, fresh], t0)?.kid, 'fresh');
  assert.equal(activeKey([fresh, superseded], t0)?.kid, 'fresh');
});
