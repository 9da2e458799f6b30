import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DeliveryServiceCore } from './delivery-service-core.ts';
import type { DsDelivery } from './delivery-service-messages.ts';
import { ManualClock } from './testing/in-memory-meeting.ts';

const kp = (n: number) => new Uint8Array([1, 2, 3, n]);
const bytes = (n: number) => new Uint8Array([7, n]);
const brief = (ds: DsDelivery[]) =>
  ds.map((d) => `${d.to}:${d.message.type}${d.message.type === 'error' ? `:${d.message.code}` : ''}`);

function grouped(): { ds: DeliveryServiceCore; clock: ManualClock } {
  // a founds; b is added at epoch 0 and welcomed; the group is at epoch 1 with members [a, b].
  const clock = new ManualClock();
  const ds = new DeliveryServiceCore({ now: clock.now });
  ds.uploadKeyPackage('a', kp(1));
  ds.uploadKeyPackage('b', kp(2));
  ds.submitCommit('a', 0n, bytes(0));
  ds.submitWelcome('a', 0n, bytes(100), ['b']);
  return { ds, clock };
}

describe('DeliveryServiceCore', () => {
  test('the first key package founds the group; the next ones go to the founder as adds', () => {
    const ds = new DeliveryServiceCore({ now: new ManualClock().now });
    assert.deepEqual(ds.participantJoined('a'), [
      { to: 'a', message: { type: 'keyPackageRequest', count: 1 } },
    ]);
    const founding = ds.uploadKeyPackage('a', kp(1));
    assert.deepEqual(founding, [
      {
        to: 'a',
        message: { type: 'commitRequest', epoch: 0n, createGroup: true, add: [], removeParticipantIds: [] },
      },
    ]);
    assert.equal(ds.epoch, 0n);
    assert.deepEqual(ds.members, ['a']);
    const add = ds.uploadKeyPackage('b', kp(2));
    assert.deepEqual(add, [
      {
        to: 'a',
        message: {
          type: 'commitRequest',
          epoch: 0n,
          createGroup: false,
          add: [{ participantId: 'b', keyPackage: kp(2) }],
          removeParticipantIds: [],
        },
      },
    ]);
    // While that request is outstanding, c is queued, not requested.
    assert.deepEqual(ds.uploadKeyPackage('c', kp(3)), []);
    const accepted = ds.submitCommit('a', 0n, bytes(0));
    // relayed to the committer (its acceptance), then the next request carries c
    assert.deepEqual(brief(accepted), ['a:commit', 'a:commitRequest']);
    const next = accepted[1]?.message;
    assert.ok(next?.type === 'commitRequest');
    assert.equal(next.epoch, 1n);
    assert.deepEqual(
      next.add.map((x) => x.participantId),
      ['c'],
    );
    // b's welcome goes to b only; b is a member afterwards, and gets the commits it missed right after it.
    assert.deepEqual(
      ds.submitCommit('a', 1n, bytes(1)).map((d) => d.to),
      ['a'],
    );
    const welcomed = ds.submitWelcome('a', 0n, bytes(100), ['b']);
    assert.deepEqual(brief(welcomed), ['b:welcome', 'b:commit']);
    assert.ok(welcomed[1]?.message.type === 'commit' && welcomed[1].message.epoch === 1n);
    assert.deepEqual(ds.members, ['a', 'b']);
  });

  test('one commit per epoch: first wins, later ones are refused with CONFLICT, deterministically', () => {
    const { ds } = grouped();
    const win = ds.submitCommit('b', 1n, bytes(1));
    assert.deepEqual(brief(win), ['a:commit', 'b:commit']);
    const lose = ds.submitCommit('a', 1n, bytes(2));
    assert.deepEqual(brief(lose), ['a:error:CONFLICT']);
    assert.ok(lose[0]?.message.type === 'error' && lose[0].message.currentEpoch === 2n);
    assert.deepEqual(brief(ds.submitCommit('a', 5n, bytes(3))), ['a:error:CONFLICT']);
    assert.equal(ds.epoch, 2n);
  });

  test('property: for any interleaving, exactly one commit per epoch is accepted', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ from: fc.constantFrom('a', 'b', 'x'), epoch: fc.bigInt({ min: 0n, max: 6n }) }),
          {
            maxLength: 40,
          },
        ),
        (submissions) => {
          const { ds } = grouped();
          const acceptedPerEpoch = new Map<bigint, number>();
          for (const s of submissions) {
            const before = ds.epoch ?? 0n;
            const out = ds.submitCommit(s.from, s.epoch, bytes(1));
            const accepted = out.some((d) => d.message.type === 'commit');
            if (accepted) {
              assert.equal(s.epoch, before);
              assert.notEqual(s.from, 'x');
              acceptedPerEpoch.set(s.epoch, (acceptedPerEpoch.get(s.epoch) ?? 0) + 1);
              assert.equal(ds.epoch, before + 1n);
            } else {
              assert.equal(ds.epoch, before);
              assert.equal(out.length, 1);
              assert.equal(out[0]?.message.type, 'error');
            }
          }
          for (const n of acceptedPerEpoch.values()) assert.equal(n, 1);
        },
      ),
    );
  });

  test('a leave becomes a remove request to the longest-present member; never to the leaver', () => {
    const { ds } = grouped();
    ds.uploadKeyPackage('c', kp(3));
    ds.submitCommit('a', 1n, bytes(1));
    ds.submitWelcome('a', 1n, bytes(101), ['c']);
    assert.deepEqual(ds.members, ['a', 'b', 'c']);
    const out = ds.participantLeft('a');
    assert.deepEqual(out, [
      {
        to: 'b',
        message: {
          type: 'commitRequest',
          epoch: 2n,
          createGroup: false,
          add: [],
          removeParticipantIds: ['a'],
        },
      },
    ]);
    assert.deepEqual(brief(ds.submitCommit('b', 2n, bytes(2))), ['b:commit', 'c:commit']);
    assert.equal(ds.committer, 'b');
  });

  test('welcomes are relayed only for the accepted commit of their sender and epoch', () => {
    const clock = new ManualClock();
    const ds = new DeliveryServiceCore({ now: clock.now });
    ds.uploadKeyPackage('a', kp(1));
    ds.uploadKeyPackage('b', kp(2));
    assert.deepEqual(brief(ds.submitWelcome('a', 0n, bytes(9), ['b'])), ['a:error:CONFLICT']);
    ds.submitCommit('a', 0n, bytes(0));
    assert.deepEqual(brief(ds.submitWelcome('a', 0n, bytes(9), ['zed'])), ['a:error:INVALID_REQUEST']);
    assert.deepEqual(brief(ds.submitWelcome('a', 0n, bytes(9), [])), ['a:error:INVALID_REQUEST']);
    assert.deepEqual(brief(ds.submitWelcome('a', 0n, new Uint8Array(0), ['b'])), ['a:error:INVALID_REQUEST']);
    assert.deepEqual(brief(ds.submitWelcome('a', 0n, bytes(9), ['b'])), ['b:welcome']);
    assert.deepEqual(brief(ds.submitWelcome('a', 0n, bytes(9), ['b'])), ['a:error:INVALID_REQUEST']);
  });

  test('non-members cannot commit; oversized or empty bytes are refused', () => {
    const { ds } = grouped();
    assert.deepEqual(brief(ds.submitCommit('mallory', 1n, bytes(1))), ['mallory:error:FORBIDDEN']);
    assert.deepEqual(brief(ds.submitCommit('a', 1n, new Uint8Array(0))), ['a:error:INVALID_REQUEST']);
    assert.deepEqual(brief(ds.submitCommit('a', 1n, new Uint8Array(5 * 1024 * 1024))), [
      'a:error:INVALID_REQUEST',
    ]);
    assert.deepEqual(brief(ds.uploadKeyPackage('z', new Uint8Array(100_000))), ['z:error:INVALID_REQUEST']);
    assert.deepEqual(brief(ds.uploadKeyPackage('a', kp(1))), ['a:error:CONFLICT']);
    assert.equal(ds.epoch, 1n);
  });

  test('a silent committer is passed over after the request timeout', () => {
    const { ds, clock } = grouped();
    assert.deepEqual(brief(ds.uploadKeyPackage('c', kp(3))), ['a:commitRequest']);
    clock.advance(9_999);
    assert.deepEqual(ds.tick(), []);
    clock.advance(1);
    const out = ds.tick();
    assert.deepEqual(brief(out), ['b:commitRequest']);
    assert.equal(ds.committer, 'b');
  });

  test('rotation: an empty commit request once the interval has passed without a commit', () => {
    const { ds, clock } = grouped();
    clock.advance(60 * 60 * 1000 - 1);
    assert.deepEqual(ds.tick(), []);
    clock.advance(1);
    assert.deepEqual(ds.tick(), [
      {
        to: 'a',
        message: { type: 'commitRequest', epoch: 1n, createGroup: false, add: [], removeParticipantIds: [] },
      },
    ]);
  });

  test('when everybody leaves, the next joiner founds a new group', () => {
    const { ds } = grouped();
    ds.participantLeft('a');
    ds.participantLeft('b');
    assert.equal(ds.epoch, undefined);
    const out = ds.uploadKeyPackage('c', kp(3));
    assert.ok(out[0]?.message.type === 'commitRequest' && out[0].message.createGroup);
    assert.equal(ds.epoch, 0n);
  });

  test('members leave while a Welcome is pending: after its timeout the joiner founds a new group', () => {
    const clock = new ManualClock();
    const ds = new DeliveryServiceCore({ now: clock.now });
    ds.uploadKeyPackage('a', kp(1));
    ds.uploadKeyPackage('b', kp(2));
    ds.submitCommit('a', 0n, bytes(0)); // adds b; b waits for its Welcome
    assert.deepEqual(ds.participantLeft('a'), []);
    assert.equal(ds.epoch, 1n);
    clock.advance(15_000);
    assert.deepEqual(brief(ds.tick()), ['b:keyPackageRequest']);
    assert.equal(ds.epoch, undefined);
    const out = ds.uploadKeyPackage('b', kp(3));
    assert.ok(out[0]?.to === 'b' && out[0].message.type === 'commitRequest' && out[0].message.createGroup);
    assert.deepEqual(ds.members, ['b']);
  });

  test('a joiner that leaves while the commit adding it is in flight is removed right after', () => {
    const { ds } = grouped();
    assert.deepEqual(brief(ds.uploadKeyPackage('c', kp(3))), ['a:commitRequest']);
    assert.deepEqual(ds.participantLeft('c'), []); // the request to add c is already out
    const out = ds.submitCommit('a', 1n, bytes(1));
    assert.deepEqual(brief(out), ['a:commit', 'b:commit', 'a:commitRequest']);
    const next = out[2]?.message;
    assert.ok(next?.type === 'commitRequest');
    assert.deepEqual(next.removeParticipantIds, ['c']);
    assert.deepEqual(brief(ds.submitWelcome('a', 1n, bytes(9), ['c'])), ['a:error:INVALID_REQUEST']);
    assert.equal(ds.stats.awaitingWelcome, 0);
  });

  test('a late answer to a timed-out request still counts: its joiners wait for their Welcome', () => {
    const { ds, clock } = grouped();
    assert.deepEqual(brief(ds.uploadKeyPackage('c', kp(3))), ['a:commitRequest']);
    clock.advance(10_000);
    assert.deepEqual(brief(ds.tick()), ['b:commitRequest']); // passed over to b
    // a answers after all, first: its commit adds c
    assert.deepEqual(brief(ds.submitCommit('a', 1n, bytes(1))), ['b:commit', 'a:commit']);
    assert.deepEqual(brief(ds.submitCommit('b', 1n, bytes(2))), ['b:error:CONFLICT']);
    assert.deepEqual(brief(ds.submitWelcome('a', 1n, bytes(9), ['c'])), ['c:welcome']);
    assert.deepEqual(ds.members, ['b', 'a', 'c']);
    assert.equal(ds.stats.queued, 0);
  });

  test('property: any sequence of hostile or confused calls keeps the invariants and never throws', () => {
    const pid = fc.constantFrom('a', 'b', 'c', 'd', 'e');
    const op = fc.oneof(
      fc.record({ t: fc.constant('join' as const), p: pid }),
      fc.record({ t: fc.constant('leave' as const), p: pid }),
      fc.record({ t: fc.constant('kp' as const), p: pid, n: fc.nat(3) }),
      fc.record({ t: fc.constant('commit' as const), p: pid, e: fc.bigInt({ min: 0n, max: 8n }) }),
      fc.record({
        t: fc.constant('welcome' as const),
        p: pid,
        e: fc.bigInt({ min: 0n, max: 8n }),
        to: fc.array(pid, { maxLength: 3 }),
      }),
      fc.record({ t: fc.constant('tick' as const), ms: fc.constantFrom(0, 5_000, 15_000, 3_600_000) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const clock = new ManualClock();
        const ds = new DeliveryServiceCore({ now: clock.now });
        const accepted = new Set<bigint>();
        for (const o of ops) {
          const before = ds.epoch;
          let out: DsDelivery[];
          switch (o.t) {
            case 'join':
              out = ds.participantJoined(o.p);
              break;
            case 'leave':
              out = ds.participantLeft(o.p);
              break;
            case 'kp':
              out = ds.uploadKeyPackage(o.p, kp(o.n));
              break;
            case 'commit':
              out = ds.submitCommit(o.p, o.e, bytes(1));
              break;
            case 'welcome':
              out = ds.submitWelcome(o.p, o.e, bytes(2), o.to);
              break;
            case 'tick':
              clock.advance(o.ms);
              out = ds.tick();
              break;
          }
          const members = ds.members;
          assert.equal(new Set(members).size, members.length);
          if (o.t === 'commit' && out.some((d) => d.message.type === 'commit')) {
            assert.equal(o.e, before);
            assert.equal(accepted.has(o.e), false, 'two commits accepted for one epoch');
            accepted.add(o.e);
          }
          if (ds.epoch === undefined) accepted.clear();
          for (const d of out)
            if (d.message.type === 'commitRequest') assert.equal(d.to, ds.committer ?? d.to);
        }
      }),
      { numRuns: 300 },
    );
  });
});
