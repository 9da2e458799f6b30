import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HandlerId, Millis, ParticipantId, StreamId, type Clock } from '../ids.ts';
import { HandlerRegistry } from './handler-registry.ts';
import {
  assignHandlers,
  defaultAssignmentOptions,
  failover,
  type HandlerAssignment,
} from './assign-handlers.ts';
import { buildRoutingPlan, cascades, type Demand, type Publication, type Route } from './routing-plan.ts';
import { applyPlanDiff, diffPlans, groupByHandler } from './plan-diff.ts';

class ManualClock implements Clock {
  t = 1_000;
  now(): Millis {
    return Millis(this.t);
  }
}
const MH1 = HandlerId('mh1');
const MH2 = HandlerId('mh2');
const [alice, bob, charlie] = ['alice', 'bob', 'charlie'].map(ParticipantId) as [
  ParticipantId,
  ParticipantId,
  ParticipantId,
];
const s = (owner: string, kind: string): StreamId => StreamId(`${owner}-${kind}`);

function registry(clock: Clock): HandlerRegistry {
  const r = new HandlerRegistry(clock, 10_000);
  for (const [id, region] of [
    [MH1, 'us-west-dc1'],
    [MH2, 'us-west-dc2'],
  ] as const) {
    r.register({
      handlerId: id,
      region,
      mediaUrl: `https://${id}.test:4434`,
      rpcUrl: `http://${id}.test:50051`,
      capacity: { maxParticipants: 10, maxStreams: 1000 },
    });
  }
  return r;
}

function describeRoute(r: Route): string {
  const d = r.destination;
  return `${r.handlerId}: ${r.sourceStreamId} -> ${d.kind === 'local' ? d.participantId : d.handlerId}`;
}

describe('architecture.md example: 3 participants, 2 handlers', () => {
  const clock = new ManualClock();
  const reg = registry(clock);
  // Both handlers carry 6 participants of other meetings (of 10). Alice takes MH1 (tie, by id), Bob co-locates;
  // then MH1 is at the co-location limit (0.8), so Charlie goes to the less loaded MH2.
  reg.heartbeat(MH1, { participants: 6, streams: 12 });
  reg.heartbeat(MH2, { participants: 6, streams: 12 });
  const assignments = new Map<ParticipantId, HandlerAssignment>();
  for (const p of [alice, bob, charlie]) {
    const a = assignHandlers(reg.healthy(), assignments);
    assignments.set(p, a);
    if (a[0] !== undefined) reg.reserve(a[0]);
  }
  const publications: Publication[] = [
    { streamId: s('alice', 'camera'), publisher: alice },
    { streamId: s('alice', 'screen'), publisher: alice },
    { streamId: s('bob', 'camera'), publisher: bob },
    { streamId: s('bob', 'screen'), publisher: bob },
    { streamId: s('charlie', 'camera'), publisher: charlie },
  ];
  const want = (subscriber: ParticipantId, streams: StreamId[]): Demand[] =>
    streams.map((id, slot) => ({
      subscriber,
      sourceStreamId: id,
      forwardedStreamId: StreamId(`${subscriber}-slot${slot}`),
      slot,
    }));
  const demands = [
    ...want(alice, [s('bob', 'camera'), s('bob', 'screen'), s('charlie', 'camera')]),
    ...want(bob, [s('alice', 'camera'), s('alice', 'screen'), s('charlie', 'camera')]),
    ...want(charlie, [s('alice', 'camera')]), // speaker view, Alice is the active speaker
  ];
  const plan = buildRoutingPlan({ version: 1, assignments, publications, demands });

  test('Alice and Bob co-locate on MH1, Charlie goes to MH2; everyone has a standby', () => {
    assert.deepEqual(
      [...assignments],
      [
        [alice, [MH1, MH2]],
        [bob, [MH1, MH2]],
        [charlie, [MH2, MH1]],
      ],
    );
  });

  test('publishers send to their primary handler', () => {
    assert.deepEqual(
      plan.publish.map((p) => `${p.streamId} -> ${p.handlerId}`),
      [
        'alice-camera -> mh1',
        'alice-screen -> mh1',
        'bob-camera -> mh1',
        'bob-screen -> mh1',
        'charlie-camera -> mh2',
      ],
    );
  });

  test('handlers forward locally and cascade across', () => {
    assert.deepEqual(plan.routes.map(describeRoute).sort(), [
      'mh1: alice-camera -> bob',
      'mh1: alice-camera -> mh2', // cascade for Charlie (the document's one handler-to-handler stream)
      'mh1: alice-screen -> bob',
      'mh1: bob-camera -> alice',
      'mh1: bob-screen -> alice',
      'mh1: charlie-camera -> alice',
      'mh1: charlie-camera -> bob',
      'mh2: alice-camera -> charlie',
      // The document's example lists one cascade, but Alice and Bob also asked for Charlie's camera, which is
      // published on MH2: it must cross to MH1 too. One cascade carries it for both.
      'mh2: charlie-camera -> mh1',
    ]);
    assert.equal(cascades(plan).length, 2);
    assert.equal(plan.receiveFrom.get(charlie), MH2);
    // Layout slot ids travel with local routes.
    const toCharlie = plan.routes.find(
      (r) => r.destination.kind === 'local' && r.destination.participantId === charlie,
    );
    assert.deepEqual(toCharlie?.destination, {
      kind: 'local',
      participantId: charlie,
      forwardedStreamId: StreamId('charlie-slot0'),
      slot: 0,
    });
  });

  test('MH2 dies: Charlie fails over to MH1, make-before-break', () => {
    clock.t += 5_000;
    reg.heartbeat(MH1, { participants: 8, streams: 16 });
    clock.t += 6_000; // MH2 silent for 11 s > 10 s timeout
    assert.equal(reg.get(MH2)?.health, 'unhealthy');
    const changed = failover(assignments, new Set(reg.healthy().map((h) => h.handlerId)));
    assert.deepEqual(
      [...changed],
      [
        [alice, [MH1]],
        [bob, [MH1]],
        [charlie, [MH1]],
      ],
    );
    const next = new Map([...assignments, ...changed]);
    const after = buildRoutingPlan({ version: 2, assignments: next, publications, demands });
    assert.equal(cascades(after).length, 0);
    const diff = diffPlans(plan, after);
    assert.deepEqual(
      diff.addPublish.map((p) => `${p.streamId} -> ${p.handlerId}`),
      ['charlie-camera -> mh1'],
    );
    assert.deepEqual(diff.addRoutes.map(describeRoute), ['mh1: alice-camera -> charlie']);
    assert.deepEqual(diff.removeRoutes.map(describeRoute).sort(), [
      'mh1: alice-camera -> mh2',
      'mh2: alice-camera -> charlie',
      'mh2: charlie-camera -> mh1',
    ]);
    assert.deepEqual(
      diff.removePublish.map((p) => `${p.streamId} -> ${p.handlerId}`),
      ['charlie-camera -> mh2'],
    );
    const { version, routes, publish } = applyPlanDiff(plan, diff);
    assert.deepEqual(
      { version, routes, publish },
      { version: after.version, routes: after.routes, publish: after.publish },
    );
    assert.deepEqual(
      groupByHandler(diff.removeRoutes, 'remove').map((b) => [
        b.handlerId,
        b.commands.map((c) => c.sourceStreamId),
      ]),
      [
        [MH1, [s('alice', 'camera')]],
        [MH2, [s('alice', 'camera'), s('charlie', 'camera')]],
      ],
    );
  });
});

describe('assignment', () => {
  test('no healthy handler with room: empty assignment; load balances when nothing co-locates', () => {
    const clock = new ManualClock();
    const reg = registry(clock);
    reg.heartbeat(MH1, { participants: 10, streams: 0 });
    assert.deepEqual(assignHandlers(reg.healthy(), new Map()), [MH2]);
    reg.heartbeat(MH2, { participants: 10, streams: 0 });
    assert.deepEqual(assignHandlers(reg.healthy(), new Map()), []);
    reg.heartbeat(MH1, { participants: 3, streams: 0 });
    reg.heartbeat(MH2, { participants: 1, streams: 0 });
    assert.deepEqual(assignHandlers(reg.healthy(), new Map()), [MH2, MH1]);
    reg.markUnhealthy(MH2);
    assert.deepEqual(assignHandlers(reg.healthy(), new Map()), [MH1]);
    assert.equal(reg.heartbeat(HandlerId('unknown'), { participants: 0, streams: 0 }), false);
  });

  test('a meeting spreads to another handler at the per-handler cap, and back to co-location below it', () => {
    const clock = new ManualClock();
    const reg = new HandlerRegistry(clock, 10_000);
    for (const id of [MH1, MH2]) {
      reg.register({
        handlerId: id,
        region: 'dc',
        mediaUrl: `https://${id}.test:4434`,
        rpcUrl: `http://${id}.test:50051`,
        capacity: { maxParticipants: 100, maxStreams: 1000 },
      });
    }
    const options = { coLocateMaxLoad: 0.8, redundancy: 2, maxMeetingParticipantsPerHandler: 2 };
    const meeting = new Map<ParticipantId, HandlerAssignment>();
    const primaries: (HandlerId | undefined)[] = [];
    for (const p of ['p1', 'p2', 'p3', 'p4', 'p5'].map(ParticipantId)) {
      const a = assignHandlers(reg.healthy(), meeting, options);
      meeting.set(p, a);
      primaries.push(a[0]);
      for (const h of a) reg.reserve(h);
      assert.equal(a.length, 2, 'always a standby');
    }
    // Two per handler, then the least loaded once both are at the cap.
    assert.deepEqual(primaries.slice(0, 4), [MH1, MH1, MH2, MH2]);
    // Without the cap the whole meeting stays on one handler.
    const together = new Map<ParticipantId, HandlerAssignment>();
    for (const p of ['q1', 'q2', 'q3'].map(ParticipantId)) {
      together.set(p, assignHandlers(reg.healthy(), together, defaultAssignmentOptions));
    }
    assert.equal(new Set([...together.values()].map((a) => a[0])).size, 1);
  });

  test('property: assignments use distinct live handlers with room; plans never route to unassigned handlers', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ participants: fc.nat(12), healthy: fc.boolean() }), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 3 }),
        (handlers, joiners, redundancy) => {
          const clock = new ManualClock();
          const reg = new HandlerRegistry(clock, 10_000);
          handlers.forEach((h, i) => {
            const id = HandlerId(`h${i}`);
            reg.register({
              handlerId: id,
              region: 'r',
              mediaUrl: '',
              rpcUrl: '',
              capacity: { maxParticipants: 10, maxStreams: 100 },
            });
            reg.heartbeat(id, { participants: h.participants, streams: 0 });
            if (!h.healthy) reg.markUnhealthy(id);
          });
          const assignments = new Map<ParticipantId, HandlerAssignment>();
          const publications: Publication[] = [];
          for (let i = 0; i < joiners; i++) {
            const p = ParticipantId(`p${i}`);
            const before = reg
              .healthy()
              .filter((h) => h.loadFraction < 1)
              .map((h) => h.handlerId);
            const a = assignHandlers(reg.healthy(), assignments, { coLocateMaxLoad: 0.8, redundancy });
            assert.ok(a.length <= redundancy);
            assert.equal(new Set(a).size, a.length);
            for (const id of a) assert.ok(before.includes(id));
            assert.equal(a.length === 0, before.length === 0);
            if (a[0] !== undefined) reg.reserve(a[0]);
            assignments.set(p, a);
            publications.push({ streamId: StreamId(`p${i}-cam`), publisher: p });
          }
          const demands: Demand[] = [...assignments.keys()].flatMap((sub) =>
            publications.map((pub) => ({
              subscriber: sub,
              sourceStreamId: pub.streamId,
              forwardedStreamId: pub.streamId,
            })),
          );
          const plan = buildRoutingPlan({ version: 1, assignments, publications, demands });
          const used = new Set([...assignments.values()].flatMap((a) => a.slice(0, 1)));
          for (const r of plan.routes) {
            assert.ok(used.has(r.handlerId));
            if (r.destination.kind === 'remote') assert.ok(used.has(r.destination.handlerId));
            else assert.equal(assignments.get(r.destination.participantId)?.[0], r.handlerId);
          }
        },
      ),
    );
  });
});
