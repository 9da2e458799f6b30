import type { SlotId } from '../ids.ts';
import type { ComputedLayout, LayoutDiff, SlotAssignment } from './layout-types.ts';

function sameAssignment(a: SlotAssignment, b: SlotAssignment): boolean {
  return (
    a.participantId === b.participantId &&
    a.streamId === b.streamId &&
    a.kind === b.kind &&
    a.reason === b.reason
  );
}

/** The minimal change set from `before` to `after`: only slots whose stream changed, appeared or emptied. */
export function diffLayouts(before: ComputedLayout, after: ComputedLayout): LayoutDiff {
  const old = new Map(before.slots.map((s) => [s.slotId, s]));
  const assign: SlotAssignment[] = [];
  for (const slot of after.slots) {
    const prior = old.get(slot.slotId);
    if (prior === undefined || !sameAssignment(prior, slot)) assign.push(slot);
    old.delete(slot.slotId);
  }
  const clear: SlotId[] = [...old.keys()];
  return { assign, clear };
}

export function isEmptyDiff(diff: LayoutDiff): boolean {
  return diff.assign.length === 0 && diff.clear.length === 0;
}

/** Applies a diff; `slotOrder` (the request's slot ids) keeps the result in slot order. */
export function applyLayoutDiff(
  layout: ComputedLayout,
  diff: LayoutDiff,
  slotOrder: readonly SlotId[],
): ComputedLayout {
  const slots = new Map(layout.slots.map((s) => [s.slotId, s]));
  for (const id of diff.clear) slots.delete(id);
  for (const s of diff.assign) slots.set(s.slotId, s);
  const rank = new Map(slotOrder.map((id, i) => [id, i]));
  const ordered = [...slots.values()].sort(
    (a, b) =>
      (rank.get(a.slotId) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b.slotId) ?? Number.MAX_SAFE_INTEGER),
  );
  return { slots: ordered };
}
