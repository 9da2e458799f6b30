import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ControllerId } from '../domain/ids.ts';
import { chooseController, type AssignmentCandidate } from './assignment.ts';

function mc(id: string, overrides: Partial<AssignmentCandidate> = {}): AssignmentCandidate {
  return {
    id: id as ControllerId,
    region: 'eu',
    health: 'healthy',
    load: 0,
    maxMeetings: 1000,
    ...overrides,
  };
}

function pick(key: string, candidates: AssignmentCandidate[], region = 'eu', exclude?: Set<string>): string {
  const d = chooseController(key, candidates, exclude ? { region, exclude } : { region });
  return d.kind === 'assigned' ? d.controllerId : 'none';
}

describe('chooseController', () => {
  test('is deterministic: the same meeting lands on the same controller on every call', () => {
    const pool = [mc('a'), mc('b'), mc('c')];
    for (let i = 0; i < 50; i++) {
      const key = `meeting-${i}`;
      assert.equal(pick(key, pool), pick(key, [...pool].reverse()));
    }
  });

  test('spreads meetings across controllers of equal load', () => {
    const pool = [mc('a'), mc('b'), mc('c'), mc('d')];
    const counts = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const id = pick(`m${i}`, pool);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    assert.equal(counts.size, 4);
    for (const n of counts.values()) assert.ok(n > 50, `uneven spread ${JSON.stringify([...counts])}`);
  });

  test('prefers the caller region, falls back to others only when the region has none', () => {
    const pool = [mc('eu-1'), mc('us-1', { region: 'us' }), mc('us-2', { region: 'us' })];
    for (let i = 0; i < 30; i++) assert.equal(pick(`m${i}`, pool, 'eu'), 'eu-1');
    for (let i = 0; i < 30; i++) assert.match(pick(`m${i}`, pool, 'us'), /^us-/);
    assert.equal(pick('x', pool, 'ap'), pick('x', pool, 'ap'));
    assert.notEqual(pick('x', pool, 'ap'), 'none');
    const euFull = [mc('eu-1', { load: 5, maxMeetings: 5 }), mc('us-1', { region: 'us' })];
    assert.equal(pick('m', euFull, 'eu'), 'us-1');
  });

  test('never picks unhealthy controllers; degraded only when no healthy one in the region can take it', () => {
    assert.equal(pick('m', [mc('a', { health: 'unhealthy' })]), 'none');
    const pool = [mc('sick', { health: 'unhealthy' }), mc('meh', { health: 'degraded' }), mc('ok')];
    for (let i = 0; i < 30; i++) assert.equal(pick(`m${i}`, pool), 'ok');
    assert.equal(pick('m', [mc('sick', { health: 'unhealthy' }), mc('meh', { health: 'degraded' })]), 'meh');
    // Degraded in region beats healthy elsewhere.
    assert.equal(pick('m', [mc('meh', { health: 'degraded' }), mc('far', { region: 'us' })]), 'meh');
  });

  test('respects each controller maximum and reports no capacity when all are full', () => {
    const full = [mc('a', { load: 3, maxMeetings: 3 }), mc('b', { load: 7, maxMeetings: 7 })];
    const d = chooseController('m', full, { region: 'eu' });
    assert.deepEqual(d, { kind: 'no-capacity', consideredControllers: 2 });
    assert.equal(pick('m', [...full, mc('c', { load: 1, maxMeetings: 2 })]), 'c');
  });

  test('bounded load: a controller above c × average gets nothing new', () => {
    const pool = [mc('hot', { load: 100 }), mc('cold1', { load: 0 }), mc('cold2', { load: 0 })];
    for (let i = 0; i < 200; i++) assert.notEqual(pick(`m${i}`, pool), 'hot');
  });

  test('excluded controllers (unreachable, or the dead owner) are skipped', () => {
    const pool = [mc('a'), mc('b')];
    const first = pick('m', pool);
    const second = pick('m', pool, 'eu', new Set([first]));
    assert.notEqual(second, first);
    assert.equal(pick('m', pool, 'eu', new Set(['a', 'b'])), 'none');
  });

  test('removing a controller moves only its own meetings (consistent hashing)', () => {
    const pool = [mc('a'), mc('b'), mc('c'), mc('d'), mc('e')];
    const without = pool.filter((x) => x.id !== 'c');
    let moved = 0;
    for (let i = 0; i < 300; i++) {
      const before = pick(`m${i}`, pool);
      const after = pick(`m${i}`, without);
      if (before !== 'c') assert.equal(after, before, `meeting m${i} moved from ${before} to ${after}`);
      else moved++;
    }
    assert.ok(moved > 0);
  });

  test('simulated fill keeps every controller within the load bound (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 200 }), (n, meetings) => {
        const loads = new Map<string, number>();
        for (let i = 0; i < n; i++) loads.set(`c${i}`, 0);
        for (let m = 0; m < meetings; m++) {
          const pool = [...loads].map(([id, load]) => mc(id, { load }));
          const d = chooseController(`k${m}`, pool, { region: 'eu', loadFactor: 1.25 });
          if (d.kind !== 'assigned') throw new Error(`no capacity for k${m}`);
          loads.set(d.controllerId, (loads.get(d.controllerId) ?? 0) + 1);
        }
        const max = Math.max(...loads.values());
        assert.ok(max <= Math.ceil((meetings / n) * 1.25), `max ${max} for ${meetings}/${n}`);
      }),
      { numRuns: 60 },
    );
  });

  test('rejects a load factor below 1', () => {
    assert.throws(() => chooseController('m', [mc('a')], { region: 'eu', loadFactor: 0.5 }), RangeError);
  });
});
