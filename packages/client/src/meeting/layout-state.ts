// The subscriber's side of a layout subscription: chosen slot stream ids and what the controller put in each.
import type { LayoutUpdate } from '@darktower/protocol';
import type { LayoutSlotView, LayoutSpec } from './meeting-types.ts';
import { kindOfStreamType } from './roster.ts';

export class LayoutState {
  spec: LayoutSpec | undefined;
  slotIds: string[] = [];
  pinned: string[] = [];
  version = 0n;
  readonly #slots = new Map<number, LayoutSlotView>();

  /** New slot ids for a layout request (kept when the slot count is unchanged, so decoders stay). */
  prepare(spec: LayoutSpec, newId: () => string): string[] {
    const count = spec.kind === 'grid' ? spec.rows * spec.columns : 1 + spec.thumbnails;
    if (count !== this.slotIds.length) this.slotIds = Array.from({ length: count }, newId);
    this.spec = spec;
    return this.slotIds;
  }

  /** Applies an update; false when it does not follow the current version (ask for a snapshot again). */
  apply(update: LayoutUpdate): boolean {
    if (!update.full && update.baseVersion !== this.version) return false;
    if (update.full) this.#slots.clear();
    for (const s of [...update.added, ...update.changed]) {
      this.#slots.set(s.slot, {
        slot: s.slot,
        slotStreamId: s.slotStreamId,
        participantId: s.participantId,
        sourceStreamId: s.sourceStreamId,
        kind: kindOfStreamType(s.streamType),
      });
    }
    for (const slot of update.removed) this.#slots.delete(slot);
    this.version = update.layoutVersion;
    return true;
  }

  get slots(): LayoutSlotView[] {
    return [...this.#slots.values()].sort((a, b) => a.slot - b.slot);
  }

  bySlotStreamId(id: string): LayoutSlotView | undefined {
    for (const s of this.#slots.values()) if (s.slotStreamId === id) return s;
    return undefined;
  }

  reset(): void {
    this.#slots.clear();
    this.version = 0n;
  }
}
