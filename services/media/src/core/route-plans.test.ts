import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMediaError } from '../errors.ts';
import { asMeetingId, asParticipantId, asStreamId } from '../ids.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { CapacityMeter } from './capacity.ts';
import type { Destination } from './destination.ts';
import { Forwarder } from './forwarder.ts';
import { RoutePlans } from './route-plans.ts';

const S = asStreamId('00000000-0000-4000-8000-000000000001');
const T = asStreamId('00000000-0000-4000-8000-000000000002');
const bob: Destination = { kind: 'participant', participantId: asParticipantId('bob') };
const carol: Destination = { kind: 'participant', participantId: asParticipantId('carol') };
const m1 = asMeetingId('m1');

test('route plans: versions only move forward, add/remove, replace_all, a leaving participant takes its routes', () => {
  const fwd = new Forwarder({
    clock: new ManualClock(),
    limits: { maxFrames: 4, maxBytes: 1 << 20 },
    keyframeIntervalMs: 0,
    capacity: new CapacityMeter({ maxBandwidthBps: 1e9 }),
  });
  const plans = new RoutePlans(fwd);
  assert.equal(
    plans.apply(
      m1,
      1n,
      [
        { action: 'add', sourceId: S, destination: bob, options: {} },
        { action: 'add', sourceId: S, destination: carol, options: {} },
        { action: 'add', sourceId: T, destination: bob, options: {} },
      ],
      false,
    ),
    3,
  );
  assert.equal(fwd.routeCount, 3);
  assert.throws(
    () => plans.apply(m1, 1n, [], false),
    (e) => isMediaError(e, 'CONFLICT'),
  );
  assert.equal(
    plans.apply(m1, 2n, [{ action: 'remove', sourceId: S, destination: carol, options: {} }], false),
    2,
  );
  assert.equal(fwd.routeCount, 2);
  assert.equal(
    plans.apply(m1, 3n, [{ action: 'add', sourceId: T, destination: carol, options: {} }], true),
    1,
  );
  assert.equal(fwd.routeCount, 1);
  assert.equal(plans.removeParticipant(m1, carol, []), 1);
  assert.equal(fwd.routeCount, 0);
  fwd.close();
});
