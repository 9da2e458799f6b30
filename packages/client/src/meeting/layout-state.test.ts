import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { LayoutUpdateSchema, StreamType } from '@darktower/protocol';
import { LayoutState } from './layout-state.ts';

let n = 0;
const newId = (): string => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;

test('slot ids: one per slot, kept while the slot count is unchanged', () => {
  const l = new LayoutState();
  const ids = l.prepare({ kind: 'grid', rows: 2, columns: 2 }, newId);
  assert.equal(ids.length, 4);
  assert.equal(new Set(ids).size, 4);
  assert.deepEqual(l.prepare({ kind: 'speaker', thumbnails: 3 }, newId), ids);
  assert.equal(l.prepare({ kind: 'speaker', thumbnails: 1 }, newId).length, 2);
});

test('full snapshot, then diffs; a diff on another base is refused', () => {
  const l = new LayoutState();
  const [a = '', b = ''] = l.prepare({ kind: 'grid', rows: 1, columns: 2 }, newId);
  const slot = (i: number, id: string, p: string) => ({
    slot: i,
    slotStreamId: id,
    participantId: p,
    sourceStreamId: `src-${p}`,
    streamType: StreamType.VIDEO_CAMERA,
  });
  assert.ok(
    l.apply(
      create(LayoutUpdateSchema, {
        layoutVersion: 1n,
        baseVersion: 0n,
        full: true,
        added: [slot(0, a, 'p1')],
      }),
    ),
  );
  assert.equal(l.bySlotStreamId(a)?.participantId, 'p1');
  assert.ok(
    l.apply(
      create(LayoutUpdateSchema, {
        layoutVersion: 2n,
        baseVersion: 1n,
        added: [slot(1, b, 'p2')],
        changed: [slot(0, a, 'p3')],
      }),
    ),
  );
  assert.deepEqual(
    l.slots.map((s) => s.participantId),
    ['p3', 'p2'],
  );
  assert.equal(
    l.apply(create(LayoutUpdateSchema, { layoutVersion: 9n, baseVersion: 7n, removed: [0] })),
    false,
  );
  assert.ok(l.apply(create(LayoutUpdateSchema, { layoutVersion: 3n, baseVersion: 2n, removed: [0] })));
  assert.deepEqual(
    l.slots.map((s) => s.slot),
    [1],
  );
});
