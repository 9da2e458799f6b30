// Turns each member's stored layout request into a computed layout and the LayoutUpdate that brings the client
// from what it has to what it should show.
import { create } from '@bufbuild/protobuf';
import {
  LayoutSlotSchema,
  LayoutUpdateSchema,
  type LayoutSlot,
  type LayoutUpdate,
} from '@darktower/protocol';
import type { HandlerId, ParticipantId, SlotId } from '../ids.ts';
import { computeLayout } from '../layout/compute-layout.ts';
import { diffLayouts, isEmptyDiff } from '../layout/layout-diff.ts';
import type {
  ComputedLayout,
  LayoutContext,
  LayoutParticipant,
  LayoutRequest,
  SlotAssignment,
} from '../layout/layout-types.ts';
import type { LayoutRecord, ParticipantRecord } from '../state/records.ts';
import { slotReasonOf, streamTypeOf } from './wire.ts';

/** Maps the user ids a client names (Participant.user_id, or participant_id for guests) to participant ids. */
function resolveUsers(ids: readonly string[], everyone: readonly ParticipantRecord[]): ParticipantId[] {
  const out: ParticipantId[] = [];
  for (const id of ids) {
    for (const p of everyone) if (p.userId === id || p.participantId === id) out.push(p.participantId);
  }
  return out;
}

export function layoutRequestOf(record: LayoutRecord, everyone: readonly ParticipantRecord[]): LayoutRequest {
  const options = {
    pinnedUsers: resolveUsers(record.pinnedUsers, everyone),
    excludedUsers: resolveUsers(record.excludedUsers, everyone),
    preferVideoOverAudio: record.preferVideoOverAudio,
    includeSelf: record.includeSelf,
  };
  return record.kind === 'grid'
    ? { kind: 'grid', rows: record.rows, columns: record.columns, slotIds: record.slotIds, options }
    : { kind: 'speaker', slotIds: record.slotIds, options };
}

/** The meeting as layouts see it: connected participants with their unmuted streams, in join order. */
export function layoutParticipants(connected: readonly ParticipantRecord[]): LayoutParticipant[] {
  return connected.map((p) => ({
    participantId: p.participantId,
    streams: p.streams.map((s) => ({ streamId: s.streamId, kind: s.kind })),
  }));
}

export function computeFor(
  member: ParticipantRecord,
  connected: readonly ParticipantRecord[],
  activeSpeakers: readonly ParticipantId[],
  previous: ComputedLayout | undefined,
): ComputedLayout | undefined {
  if (member.layout === null) return undefined;
  const context: LayoutContext = {
    self: member.participantId,
    participants: layoutParticipants(connected),
    activeSpeakers,
  };
  return computeLayout(layoutRequestOf(member.layout, connected), context, previous);
}

function slotOf(a: SlotAssignment, slotIds: readonly SlotId[], handlerId: HandlerId | undefined): LayoutSlot {
  return create(LayoutSlotSchema, {
    slot: slotIds.indexOf(a.slotId),
    slotStreamId: a.slotId,
    participantId: a.participantId,
    sourceStreamId: a.streamId,
    streamType: streamTypeOf(a.kind),
    handlerId: handlerId ?? '',
    reason: slotReasonOf(a.reason),
  });
}

/** A full snapshot (after a LayoutRequest or a resume), or the minimal update; undefined when nothing changed. */
export function layoutUpdateOf(
  before: ComputedLayout | undefined,
  after: ComputedLayout,
  slotIds: readonly SlotId[],
  handlerId: HandlerId | undefined,
  baseVersion: number,
  full: boolean,
): LayoutUpdate | undefined {
  const version = BigInt(baseVersion + 1);
  if (full || before === undefined) {
    return create(LayoutUpdateSchema, {
      layoutVersion: version,
      baseVersion: BigInt(baseVersion),
      full: true,
      added: after.slots.map((a) => slotOf(a, slotIds, handlerId)),
    });
  }
  const diff = diffLayouts(before, after);
  if (isEmptyDiff(diff)) return undefined;
  const had = new Set(before.slots.map((s) => s.slotId));
  return create(LayoutUpdateSchema, {
    layoutVersion: version,
    baseVersion: BigInt(baseVersion),
    full: false,
    added: diff.assign.filter((a) => !had.has(a.slotId)).map((a) => slotOf(a, slotIds, handlerId)),
    changed: diff.assign.filter((a) => had.has(a.slotId)).map((a) => slotOf(a, slotIds, handlerId)),
    removed: diff.clear.map((id) => slotIds.indexOf(id)),
  });
}
