// Fills layout slots from the meeting's participants and streams. Pure: same input, same output.
//
// Tiers, highest first (architecture.md "Stream Assignment"):
//   grid:    pinned users > screen shares > active speakers > others
//   speaker: pinned users > active speakers > screen shares > others (slot 0 is the main stage)
// Within "others", participants with video come before audio-only ones when prefer_video_over_audio is set,
// and join order decides otherwise. Screen shares are tiles of their own; everyone else gets at most one tile
// (their camera, or an avatar tile on their audio when they have no camera and no other tile), so a presenter
// can appear twice (screen + camera) but nobody appears twice as a person.
import type { ParticipantId, SlotId, StreamId } from '../ids.ts';
import type {
  ComputedLayout,
  LayoutContext,
  LayoutParticipant,
  LayoutRequest,
  LayoutStream,
  SlotAssignment,
  SlotReason,
} from './layout-types.ts';
import { MAX_GRID_DIMENSION } from './layout-types.ts';
import { MeetingError } from '../errors.ts';

interface Candidate {
  readonly participantId: ParticipantId;
  readonly stream: LayoutStream;
  readonly reason: SlotReason;
}

/** How many slots a request can fill; throws INVALID_REQUEST on a malformed request. */
export function slotCapacity(request: LayoutRequest): number {
  if (request.kind === 'grid') {
    const { rows, columns } = request;
    for (const [name, value] of [
      ['rows', rows],
      ['columns', columns],
    ] as const) {
      if (!Number.isInteger(value) || value < 1 || value > MAX_GRID_DIMENSION) {
        throw MeetingError.invalidRequest(`grid ${name} must be an integer in 1..${MAX_GRID_DIMENSION}`);
      }
    }
    if (request.slotIds.length > rows * columns) {
      throw MeetingError.invalidRequest('more stream ids than grid slots');
    }
  } else if (request.slotIds.length === 0) {
    throw MeetingError.invalidRequest('speaker view needs at least one stream id');
  }
  if (new Set(request.slotIds).size !== request.slotIds.length) {
    throw MeetingError.invalidRequest('stream ids of a layout must be distinct');
  }
  return request.slotIds.length;
}

/**
 * Computes the layout. With `previous` (the subscriber's current layout) a stream that stays visible keeps its
 * slot and newcomers take the freed slots, so a change touches as few slots as possible; without it, slots are
 * filled in priority order.
 */
export function computeLayout(
  request: LayoutRequest,
  context: LayoutContext,
  previous?: ComputedLayout,
): ComputedLayout {
  const capacity = slotCapacity(request);
  const { options } = request;
  const excluded = new Set(options.excludedUsers);
  const visible = context.participants.filter(
    (p) => !excluded.has(p.participantId) && (options.includeSelf || p.participantId !== context.self),
  );
  const byId = new Map(visible.map((p) => [p.participantId, p]));

  const usedStreams = new Set<StreamId>();
  const shownPeople = new Set<ParticipantId>(); // has a camera/audio tile
  const onScreen = new Set<ParticipantId>(); // has any tile

  const chosen: Candidate[] = [];
  const take = (candidate: Candidate | undefined): void => {
    if (candidate === undefined || chosen.length >= capacity) return;
    if (usedStreams.has(candidate.stream.streamId)) return;
    const id = candidate.participantId;
    if (candidate.stream.kind !== 'screen') {
      // An avatar (audio) tile only for someone not visible at all: a presenter without camera shows once.
      if (shownPeople.has(id) || (candidate.stream.kind === 'audio' && onScreen.has(id))) return;
      shownPeople.add(id);
    }
    onScreen.add(id);
    usedStreams.add(candidate.stream.streamId);
    chosen.push(candidate);
  };

  const pinned = (): void => {
    for (const id of options.pinnedUsers) {
      const p = byId.get(id);
      if (p !== undefined) take(personTile(p, 'pinned') ?? screenTiles(p, 'pinned')[0]);
    }
  };
  const screens = (): void => {
    for (const p of visible) for (const tile of screenTiles(p, 'screen')) take(tile);
  };
  const speakers = (): void => {
    for (const id of context.activeSpeakers) {
      const p = byId.get(id);
      if (p !== undefined) take(personTile(p, 'speaker'));
    }
  };
  const others = (): void => {
    const ordered = options.preferVideoOverAudio
      ? [...visible.filter(hasVideo), ...visible.filter((p) => !hasVideo(p))]
      : visible;
    for (const p of ordered) take(personTile(p, 'other'));
  };

  if (request.kind === 'grid') {
    pinned();
    screens();
    speakers();
    others();
  } else {
    pinned();
    speakers();
    screens();
    others();
  }

  return { slots: placeInSlots(chosen, request.slotIds, previous) };
}

function placeInSlots(
  chosen: readonly Candidate[],
  slotIds: readonly SlotId[],
  previous: ComputedLayout | undefined,
): SlotAssignment[] {
  const valid = new Set(slotIds);
  const kept = new Map<StreamId, SlotId>();
  for (const s of previous?.slots ?? []) if (valid.has(s.slotId)) kept.set(s.streamId, s.slotId);
  const bySlot = new Map<SlotId, Candidate>();
  const newcomers: Candidate[] = [];
  for (const c of chosen) {
    const slot = kept.get(c.stream.streamId);
    if (slot === undefined) newcomers.push(c);
    else bySlot.set(slot, c);
  }
  const free = slotIds.filter((id) => !bySlot.has(id));
  for (const [i, c] of newcomers.entries()) {
    const slot = free[i];
    if (slot !== undefined) bySlot.set(slot, c);
  }
  const slots: SlotAssignment[] = [];
  for (const slotId of slotIds) {
    const c = bySlot.get(slotId);
    if (c === undefined) continue;
    slots.push({
      slotId,
      participantId: c.participantId,
      streamId: c.stream.streamId,
      kind: c.stream.kind,
      reason: c.reason,
    });
  }
  return slots;
}

function hasVideo(p: LayoutParticipant): boolean {
  return p.streams.some((s) => s.kind !== 'audio');
}

/** A person's one tile: their camera, else their audio (an avatar tile). */
function personTile(p: LayoutParticipant, reason: SlotReason): Candidate | undefined {
  const stream = p.streams.find((s) => s.kind === 'camera') ?? p.streams.find((s) => s.kind === 'audio');
  return stream === undefined ? undefined : { participantId: p.participantId, stream, reason };
}

function screenTiles(p: LayoutParticipant, reason: SlotReason): Candidate[] {
  return p.streams
    .filter((s) => s.kind === 'screen')
    .map((stream) => ({ participantId: p.participantId, stream, reason }));
}
