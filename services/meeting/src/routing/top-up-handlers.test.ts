import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HandlerId, Millis, ParticipantId, type Clock } from '../ids.ts';
import { HandlerRegistry } from './handler-registry.ts';
import {
  assignHandlers,
  defaultAssignmentOptions,
  failover,
  topUpHandlers,
  type HandlerAssignment,
} from './assign-handlers.ts';

const clock: Clock = { now: () => Millis(1_000) };
const [A, B, C, D] = ['mh-a', 'mh-b', 'mh-c', 'mh-d'].map(HandlerId) as [
  HandlerId,
  HandlerId,
  HandlerId,
  HandlerId,
];
const [alice, bob] = ['alice', 'bob'].map(ParticipantId) as [ParticipantId, ParticipantId];

function registry(ids: readonly HandlerId[], maxParticipants = 10): HandlerRegistry {
  const r = new HandlerRegistry(clock, 10_000);
  for (const handlerId of ids) {
    r.register({
      handlerId,
      region: 'r1',
      mediaUrl: `https://${handlerId}.test:4434`,
      rpcUrl: `http://${handlerId}.test:50051`,
      capacity: { maxParticipants, maxStreams: 1000 },
    });
  }
  return r;
}

const meeting = (...entries: [ParticipantId, HandlerAssignment][]) =>
  new Map<ParticipantId, HandlerAssignment>(entries);

describe('topUpHandlers: restoring a participant to `redundancy` live handlers', () => {
  test('a participant that joined with the only handler gets the one that registered later as standby', () => {
    const reg = registry([A]);
    const joined = assignHandlers(reg.healthy(), new Map());
    assert.deepEqual(joined, [A], 'only one handler at join: no standby');
    assert.equal(topUpHandlers(reg.list(), meeting([alice, joined]), alice), undefined, 'nothing to add yet');
    reg.register({
      handlerId: B,
      region: 'r1',
      mediaUrl: 'https://b.test',
      rpcUrl: 'http://b.test',
      capacity: { maxParticipants: 10, maxStreams: 1000 },
    });
    assert.deepEqual(
      topUpHandlers(reg.list(), meeting([alice, joined]), alice),
      [A, B],
      'primary kept first',
    );
  });

  test('nothing changes for a participant that already has `redundancy` live handlers', () => {
    const reg = registry([A, B, C]);
    assert.equal(topUpHandlers(reg.list(), meeting([alice, [A, B]]), alice), undefined);
    assert.equal(
      topUpHandlers(reg.list(), meeting([alice, [A]]), alice, { ...defaultAssignmentOptions, redundancy: 1 }),
      undefined,
    );
  });

  test('after a failover the promoted standby stays primary and a third handler becomes the new standby', () => {
    const reg = registry([A, B, C]);
    const before = meeting([alice, [A, B]]);
    reg.markUnhealthy(A);
    const moved = failover(before, new Set(reg.healthy().map((h) => h.handlerId)));
    const after = moved.get(alice);
    assert.deepEqual(after, [B]);
    assert.deepEqual(topUpHandlers(reg.list(), meeting([alice, after]), alice), [B, C]);
  });

  test('standby rule as at join: a handler the meeting already uses first, then the least loaded', () => {
    const reg = registry([A, B, C, D]);
    reg.heartbeat(C, { participants: 5, streams: 0 });
    reg.heartbeat(D, { participants: 1, streams: 0 });
    reg.heartbeat(B, { participants: 3, streams: 0 });
    // Bob uses C: C is preferred over the less loaded D (fewer cascades).
    assert.deepEqual(topUpHandlers(reg.list(), meeting([alice, [A, B]], [bob, [C]]), bob), [C, A]);
    assert.deepEqual(topUpHandlers(reg.list(), meeting([alice, [A]], [bob, [A]]), alice), [A, D]);
    // Nobody else uses anything but A: the least loaded of the rest.
    assert.deepEqual(topUpHandlers(reg.list(), meeting([alice, [B]]), alice), [B, A]);
  });

  test('dead, unhealthy and full handlers are never picked', () => {
    const reg = registry([A, B, C], 2);
    reg.markUnhealthy(B);
    reg.heartbeat(C, { participants: 2, streams: 0 }); // at capacity
    assert.equal(topUpHandlers(reg.list(), meeting([alice, [A]]), alice), undefined);
  });

  test('a participant with no live handler at all gets a fresh primary (and standby) chosen as at join', () => {
    const reg = registry([A, B, C]);
    reg.markUnhealthy(A);
    reg.markUnhealthy(B);
    // Its old (dead) handlers are replaced, not kept.
    assert.deepEqual(topUpHandlers(reg.list(), meeting([alice, [A, B]]), alice), [C]);
    assert.deepEqual(topUpHandlers(reg.list(), meeting([alice, []]), alice), [C]);
    reg.heartbeat(A, { participants: 0, streams: 0 });
    // Co-locates with bob's primary as a join would.
    reg.heartbeat(B, { participants: 0, streams: 0 });
    assert.deepEqual(topUpHandlers(reg.list(), meeting([alice, []], [bob, [C, A]]), alice), [C, A]);
  });

  test('no live handler and none open: undefined (retried at the next trigger)', () => {
    const reg = registry([A]);
    reg.markUnhealthy(A);
    assert.equal(topUpHandlers(reg.list(), meeting([alice, [A]]), alice), undefined);
  });

  test('up to `redundancy` handlers are added, not more', () => {
    const reg = registry([A, B, C, D]);
    const options = { ...defaultAssignmentOptions, redundancy: 3 };
    assert.deepEqual(topUpHandlers(reg.list(), meeting([alice, [A]]), alice, options), [A, B, C]);
  });
});
