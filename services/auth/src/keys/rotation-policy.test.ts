import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activeKey, nextRotationAt, publishedKeys, rotationDue, type KeyTimes } from './rotation-policy.ts';

const day = 86_400_000;
const t0 = new Date('2026-01-01T00:00:00Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);

test('active, published and due follow the weekly schedule with one period of overlap', () => {
  const keys: KeyTimes[] = [
    { kid: 'a', createdAt: t0, retireAt: at(14 * day) },
    { kid: 'b', createdAt: at(7 * day), retireAt: null },
    { kid: 'old', createdAt: at(-7 * day), retireAt: at(7 * day) },
  ];
  assert.equal(activeKey(keys)?.kid, 'b');
  assert.deepEqual(
    publishedKeys(keys, at(8 * day)).map((k) => k.kid),
    ['b', 'a'],
  );
  assert.deepEqual(
    publishedKeys(keys, at(6 * day)).map((k) => k.kid),
    ['b', 'a', 'old'],
  );
  assert.deepEqual(
    publishedKeys(keys, at(14 * day)).map((k) => k.kid),
    ['b'],
  );
  assert.equal(rotationDue(keys, at(13 * day), 7 * day), false);
  assert.equal(rotationDue(keys, at(14 * day), 7 * day), true);
  assert.deepEqual(nextRotationAt(keys, 7 * day), at(14 * day));
  assert.equal(rotationDue([], t0, 7 * day), true);
  assert.equal(activeKey([{ kid: 'x', createdAt: t0, retireAt: at(1) }]), undefined);
});
