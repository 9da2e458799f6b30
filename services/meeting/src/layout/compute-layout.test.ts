import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ParticipantId, SlotId, StreamId } from '../ids.ts';
import { isMeetingError } from '../errors.ts';
import { computeLayout } from './compute-layout.ts';
import { applyLayoutDiff, diffLayouts } from './layout-diff.ts';
import type { LayoutContext, LayoutParticipant, LayoutRequest, StreamKind } from './layout-types.ts';
import { defaultLayoutOptions } from './layout-types.ts';

const P = ParticipantId;
function person(name: string, kinds: StreamKind[]): LayoutParticipant {
  return {
    participantId: P(name),
    streams: kinds.map((kind) => ({ streamId: StreamId(`${name}-${kind}`), kind })),
  };
}
const slotIds = (n: number): SlotId[] =>
  Array.from({ length: n }, (_, i) => SlotId(`0x${(i + 1).toString(16).padStart(3, '0')}`));

describe('grid layout', () => {
  test('architecture.md 3x3 example: 15 participants, Alice and Bob pinned, Charlie excluded', () => {
    // David shares his screen with his camera off (the example shows him once, by his screen); Eve is speaking.
    const names = ['Alice', 'Bob', 'Charlie', 'David', 'Eve', 'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy'];
    const participants = [
      ...names.map((n) => (n === 'David' ? person(n, ['audio', 'screen']) : person(n, ['audio', 'camera']))),
      ...['Ken', 'Liam', 'Mallory', 'Niaj', 'Olivia'].map((n) => person(n, ['audio', 'camera'])),
    ];
    assert.equal(participants.length, 15);
    const request: LayoutRequest = {
      kind: 'grid',
      rows: 3,
      columns: 3,
      slotIds: slotIds(9),
      options: {
        ...defaultLayoutOptions,
        pinnedUsers: [P('Alice'), P('Bob')],
        excludedUsers: [P('Charlie')],
      },
    };
    const layout = computeLayout(request, { self: P('Olivia'), participants, activeSpeakers: [P('Eve')] });
    assert.deepEqual(
      layout.slots.map((s) => [s.slotId, s.streamId, s.reason]),
      [
        ['0x001', 'Alice-camera', 'pinned'],
        ['0x002', 'Bob-camera', 'pinned'],
        ['0x003', 'David-screen', 'screen'],
        ['0x004', 'Eve-camera', 'speaker'],
        ['0x005', 'Frank-camera', 'other'],
        ['0x006', 'Grace-camera', 'other'],
        ['0x007', 'Heidi-camera', 'other'],
        ['0x008', 'Ivan-camera', 'other'],
        ['0x009', 'Judy-camera', 'other'],
      ],
    );
  });

  test('a presenter shows both screen and camera; self is left out unless asked', () => {
    const participants = [
      person('Alice', ['camera', 'screen']),
      person('Bob', ['camera', 'screen']),
      person('Charlie', ['camera']),
    ];
    const request: LayoutRequest = {
      kind: 'grid',
      rows: 2,
      columns: 2,
      slotIds: slotIds(4),
      options: defaultLayoutOptions,
    };
    const alice = computeLayout(request, { self: P('Alice'), participants, activeSpeakers: [] });
    assert.deepEqual(
      alice.slots.map((s) => s.streamId),
      ['Bob-screen', 'Bob-camera', 'Charlie-camera'],
    );
    const withSelf = computeLayout(
      { ...request, options: { ...defaultLayoutOptions, includeSelf: true } },
      { self: P('Alice'), participants, activeSpeakers: [] },
    );
    assert.deepEqual(
      withSelf.slots.map((s) => s.streamId),
      ['Alice-screen', 'Bob-screen', 'Alice-camera', 'Bob-camera'],
    );
  });

  test('prefer_video_over_audio puts audio-only participants last', () => {
    const participants = [person('A', ['audio']), person('B', ['camera']), person('C', ['audio', 'camera'])];
    const ctx: LayoutContext = { self: P('Z'), participants, activeSpeakers: [] };
    const base: LayoutRequest = {
      kind: 'grid',
      rows: 1,
      columns: 3,
      slotIds: slotIds(3),
      options: defaultLayoutOptions,
    };
    assert.deepEqual(
      computeLayout(base, ctx).slots.map((s) => s.streamId),
      ['B-camera', 'C-camera', 'A-audio'],
    );
    const joinOrder = computeLayout(
      { ...base, options: { ...defaultLayoutOptions, preferVideoOverAudio: false } },
      ctx,
    );
    assert.deepEqual(
      joinOrder.slots.map((s) => s.streamId),
      ['A-audio', 'B-camera', 'C-camera'],
    );
  });

  test('speaker view puts the active speaker on the main stage', () => {
    const participants = ['A', 'B', 'C'].map((n) =>
      person(n, ['audio', 'camera', ...(n === 'B' ? (['screen'] as const) : [])]),
    );
    const request: LayoutRequest = { kind: 'speaker', slotIds: slotIds(2), options: defaultLayoutOptions };
    const layout = computeLayout(request, { self: P('A'), participants, activeSpeakers: [P('C'), P('A')] });
    assert.deepEqual(
      layout.slots.map((s) => [s.streamId, s.reason]),
      [
        ['C-camera', 'speaker'],
        ['B-screen', 'screen'],
      ],
    );
  });

  test('a change keeps unchanged streams in their slots and touches only what moved', () => {
    const participants = ['A', 'B', 'C', 'D', 'E'].map((n) => person(n, ['audio', 'camera']));
    const request: LayoutRequest = {
      kind: 'grid',
      rows: 1,
      columns: 3,
      slotIds: slotIds(3),
      options: defaultLayoutOptions,
    };
    const before = computeLayout(request, { self: P('Z'), participants, activeSpeakers: [] });
    assert.deepEqual(
      before.slots.map((s) => s.streamId),
      ['A-camera', 'B-camera', 'C-camera'],
    );
    // E starts speaking: E displaces the lowest-priority tile (C) and takes its slot; A and B stay put.
    const after = computeLayout(request, { self: P('Z'), participants, activeSpeakers: [P('E')] }, before);
    const diff = diffLayouts(before, after);
    assert.deepEqual(diff.clear, []);
    assert.deepEqual(
      diff.assign.map((s) => [s.slotId, s.streamId, s.reason]),
      [['0x003', 'E-camera', 'speaker']],
    );
    assert.deepEqual(
      diffLayouts(
        after,
        computeLayout(request, { self: P('Z'), participants, activeSpeakers: [P('E')] }, after),
      ),
      {
        assign: [],
        clear: [],
      },
    );
  });

  test('malformed requests are refused with INVALID_REQUEST', () => {
    const ctx: LayoutContext = { self: P('Z'), participants: [], activeSpeakers: [] };
    const bad: LayoutRequest[] = [
      { kind: 'grid', rows: 0, columns: 3, slotIds: [], options: defaultLayoutOptions },
      { kind: 'grid', rows: 257, columns: 1, slotIds: [], options: defaultLayoutOptions },
      { kind: 'grid', rows: 1.5, columns: 1, slotIds: [], options: defaultLayoutOptions },
      { kind: 'grid', rows: 1, columns: 2, slotIds: slotIds(3), options: defaultLayoutOptions },
      {
        kind: 'grid',
        rows: 1,
        columns: 2,
        slotIds: [SlotId('x'), SlotId('x')],
        options: defaultLayoutOptions,
      },
      { kind: 'speaker', slotIds: [], options: defaultLayoutOptions },
    ];
    for (const request of bad) {
      assert.throws(
        () => computeLayout(request, ctx),
        (e: unknown) => isMeetingError(e, 'INVALID_REQUEST'),
      );
    }
  });
});

describe('layout properties', () => {
  const names = fc.constantFrom(...'ABCDEFGHIJKLMNOP'.split('').map((n) => P(n)));
  const participantsArb = fc
    .uniqueArray(names, { maxLength: 16 })
    .chain((ids) =>
      fc.tuple(
        ...ids.map((id) =>
          fc.subarray(['audio', 'camera', 'screen'] as StreamKind[]).map((kinds) => person(id, kinds)),
        ),
      ),
    );
  const requestArb = fc
    .record({
      kind: fc.constantFrom('grid' as const, 'speaker' as const),
      rows: fc.integer({ min: 1, max: 256 }),
      columns: fc.integer({ min: 1, max: 4 }),
      slots: fc.integer({ min: 1, max: 12 }),
      pinned: fc.uniqueArray(names, { maxLength: 5 }),
      excluded: fc.uniqueArray(names, { maxLength: 5 }),
      preferVideoOverAudio: fc.boolean(),
      includeSelf: fc.boolean(),
    })
    .map((r): LayoutRequest => {
      const options = {
        pinnedUsers: r.pinned,
        excludedUsers: r.excluded,
        preferVideoOverAudio: r.preferVideoOverAudio,
        includeSelf: r.includeSelf,
      };
      const n = r.kind === 'grid' ? Math.min(r.slots, r.rows * r.columns) : r.slots;
      return r.kind === 'grid'
        ? { kind: 'grid', rows: r.rows, columns: r.columns, slotIds: slotIds(n), options }
        : { kind: 'speaker', slotIds: slotIds(n), options };
    });
  const contextArb = fc
    .tuple(participantsArb, names, fc.uniqueArray(names, { maxLength: 4 }))
    .map(([participants, self, activeSpeakers]): LayoutContext => ({ participants, self, activeSpeakers }));

  test('no excluded user ever appears; slots never exceed the grid; no stream twice', () => {
    fc.assert(
      fc.property(requestArb, contextArb, (request, ctx) => {
        const layout = computeLayout(request, ctx);
        const excluded = new Set(request.options.excludedUsers);
        for (const s of layout.slots) assert.ok(!excluded.has(s.participantId));
        if (!request.options.includeSelf)
          for (const s of layout.slots) assert.notEqual(s.participantId, ctx.self);
        if (request.kind === 'grid') assert.ok(layout.slots.length <= request.rows * request.columns);
        assert.ok(layout.slots.length <= request.slotIds.length);
        assert.equal(new Set(layout.slots.map((s) => s.streamId)).size, layout.slots.length);
        assert.equal(new Set(layout.slots.map((s) => s.slotId)).size, layout.slots.length);
        const streams = new Map(
          ctx.participants.flatMap((p) => p.streams.map((s) => [s.streamId, p.participantId])),
        );
        for (const s of layout.slots) assert.equal(streams.get(s.streamId), s.participantId);
      }),
    );
  });

  test('pinned users with a stream appear when slots suffice', () => {
    fc.assert(
      fc.property(requestArb, contextArb, (request, ctx) => {
        const excluded = new Set(request.options.excludedUsers);
        const eligible = request.options.pinnedUsers.filter((id) => {
          const p = ctx.participants.find((x) => x.participantId === id);
          return (
            p !== undefined &&
            p.streams.length > 0 &&
            !excluded.has(id) &&
            (request.options.includeSelf || id !== ctx.self)
          );
        });
        fc.pre(eligible.length <= request.slotIds.length);
        const shown = new Set(computeLayout(request, ctx).slots.map((s) => s.participantId));
        for (const id of eligible) assert.ok(shown.has(id), `pinned ${id} missing`);
      }),
    );
  });

  test('diff applied to the old layout gives the new one', () => {
    fc.assert(
      fc.property(requestArb, contextArb, contextArb, fc.boolean(), (request, ctxA, ctxB, stable) => {
        const before = computeLayout(request, ctxA);
        const after = computeLayout(request, { ...ctxB, self: ctxA.self }, stable ? before : undefined);
        const diff = diffLayouts(before, after);
        assert.deepEqual(applyLayoutDiff(before, diff, request.slotIds), after);
        // Minimal: every assigned slot really changed, every cleared slot is really empty now.
        const old = new Map(before.slots.map((s) => [s.slotId, s]));
        for (const s of diff.assign) assert.notDeepEqual(old.get(s.slotId), s);
        const now = new Set(after.slots.map((s) => s.slotId));
        for (const id of diff.clear) assert.ok(!now.has(id) && old.has(id));
      }),
    );
  });
});
