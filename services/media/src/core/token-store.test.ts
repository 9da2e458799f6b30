import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isMediaError } from '../errors.ts';
import { asMeetingId, asParticipantId, asStreamId } from '../ids.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { ConnectionTokenStore } from './token-store.ts';

const grant = {
  participantId: asParticipantId('p1'),
  meetingId: asMeetingId('m1'),
  streamIds: [asStreamId('00000000-0000-4000-8000-000000000001')],
};

describe('ConnectionTokenStore', () => {
  test('a token works once and carries its grant', () => {
    const store = new ConnectionTokenStore({ clock: new ManualClock() });
    const { token } = store.mint(grant);
    assert.deepEqual(store.consume(token), grant);
    assert.throws(
      () => store.consume(token),
      (e) => isMediaError(e, 'UNAUTHORIZED'),
    );
  });

  test('an expired token is refused (and gone)', () => {
    const clock = new ManualClock();
    const store = new ConnectionTokenStore({ clock, ttlMs: 30_000 });
    const { token, expiresAt } = store.mint(grant);
    assert.equal(expiresAt, clock.now() + 30_000);
    clock.advance(30_000);
    assert.throws(
      () => store.consume(token),
      (e) => isMediaError(e, 'UNAUTHORIZED'),
    );
    assert.equal(store.outstanding, 0);
  });

  test('malformed and unknown tokens are refused', () => {
    const store = new ConnectionTokenStore({ clock: new ManualClock() });
    for (const bad of ['', 'x', 'a'.repeat(10_000), 'A'.repeat(43)]) {
      assert.throws(
        () => store.consume(bad),
        (e) => isMediaError(e, 'UNAUTHORIZED'),
      );
    }
  });

  test('tokens are unguessable and distinct', () => {
    const store = new ConnectionTokenStore({ clock: new ManualClock() });
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(store.mint(grant).token);
    assert.equal(seen.size, 1000);
  });

  test('outstanding tokens are bounded; expired ones are swept to make room', () => {
    const clock = new ManualClock();
    const store = new ConnectionTokenStore({ clock, maxOutstanding: 3, ttlMs: 100 });
    for (let i = 0; i < 3; i++) store.mint(grant);
    assert.throws(
      () => store.mint(grant),
      (e) => isMediaError(e, 'CAPACITY_EXCEEDED'),
    );
    clock.advance(100);
    store.mint(grant);
    assert.equal(store.outstanding, 1);
  });

  test('revoking a participant invalidates its tokens', () => {
    const store = new ConnectionTokenStore({ clock: new ManualClock() });
    const { token } = store.mint(grant);
    assert.equal(store.revokeParticipant(grant.participantId), 1);
    assert.throws(
      () => store.consume(token),
      (e) => isMediaError(e, 'UNAUTHORIZED'),
    );
  });
});
