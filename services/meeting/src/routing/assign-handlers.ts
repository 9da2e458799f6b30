// Chooses the media handlers a participant connects to (architecture.md "Handler Selection Criteria"): a primary
// that co-locates the meeting while it has room, otherwise the least loaded; and a standby on a different handler
// when there is one, so failover is a switch, not a new connection.
import type { HandlerId, ParticipantId } from '../ids.ts';
import type { HandlerSnapshot } from './handler-registry.ts';

export interface AssignmentOptions {
  /** A handler at or above this load fraction takes no more co-located participants. */
  readonly coLocateMaxLoad: number;
  /** Handlers per participant (primary + standbys). */
  readonly redundancy: number;
  /** Preferred region (the controller's); handlers elsewhere are used only when none here has room. */
  readonly region?: string;
  /**
   * Participants of one meeting per handler (as primary) before the meeting spreads to another handler with
   * cascading; undefined: co-locate by load only. Spreads a large meeting's forwarding load over handlers.
   */
  readonly maxMeetingParticipantsPerHandler?: number;
}

export const defaultAssignmentOptions: AssignmentOptions = { coLocateMaxLoad: 0.8, redundancy: 2 };

/** Handler ids, primary first; empty when no healthy handler has room. */
export type HandlerAssignment = readonly HandlerId[];

export function assignHandlers(
  handlers: readonly HandlerSnapshot[],
  meeting: ReadonlyMap<ParticipantId, HandlerAssignment>,
  options: AssignmentOptions = defaultAssignmentOptions,
): HandlerAssignment {
  const open = handlers.filter((h) => h.health !== 'unhealthy' && h.loadFraction < 1);
  const local = options.region === undefined ? open : open.filter((h) => h.region === options.region);
  const pool = local.length > 0 ? local : open;
  if (pool.length === 0) return [];

  const primaries = new Map<HandlerId, number>();
  const used = new Set<HandlerId>();
  for (const assignment of meeting.values()) {
    const [primary] = assignment;
    if (primary !== undefined) primaries.set(primary, (primaries.get(primary) ?? 0) + 1);
    for (const id of assignment) used.add(id);
  }
  const cap = options.maxMeetingParticipantsPerHandler ?? Number.POSITIVE_INFINITY;
  const hasRoom = (h: HandlerSnapshot): boolean => (primaries.get(h.handlerId) ?? 0) < cap;
  const coLocated = pool
    .filter(
      (h) => (primaries.get(h.handlerId) ?? 0) > 0 && hasRoom(h) && h.loadFraction < options.coLocateMaxLoad,
    )
    .sort((a, b) => (primaries.get(b.handlerId) ?? 0) - (primaries.get(a.handlerId) ?? 0) || byLoad(a, b));
  // Otherwise the least loaded handler with room for the meeting (any handler when all are at the cap).
  const spread = pool.filter(hasRoom);
  const primary = coLocated[0] ?? [...(spread.length > 0 ? spread : pool)].sort(byLoad)[0];
  if (primary === undefined) return [];

  const rest = standbyOrder(open, used, new Set([primary.handlerId]));
  return [primary.handlerId, ...rest.slice(0, Math.max(0, options.redundancy - 1))];
}

// Standby candidates among `open` minus `exclude`: handlers the meeting already uses first (fewer cascades after a
// failover), then by load.
function standbyOrder(
  open: readonly HandlerSnapshot[],
  used: ReadonlySet<HandlerId>,
  exclude: ReadonlySet<HandlerId>,
): HandlerId[] {
  return open
    .filter((h) => !exclude.has(h.handlerId))
    .sort((a, b) => Number(used.has(b.handlerId)) - Number(used.has(a.handlerId)) || byLoad(a, b))
    .map((h) => h.handlerId);
}

const byLoad = (a: HandlerSnapshot, b: HandlerSnapshot): number =>
  a.loadFraction - b.loadFraction || (a.handlerId < b.handlerId ? -1 : a.handlerId > b.handlerId ? 1 : 0);

/**
 * Restores a participant's redundancy (architecture.md "Media Handler Failure": the controller prioritizes it):
 * its assignment, with the handlers it lacks appended, when fewer than `redundancy` of its handlers are live and
 * another open handler exists; undefined when nothing changes. Its own handlers keep their order (the primary stays
 * the primary) and are not dropped here while one of them lives (dead ones leave through `failover`). With no live
 * handler at all it gets a fresh assignment chosen as at join (primary and standbys), replacing the dead ones.
 */
export function topUpHandlers(
  handlers: readonly HandlerSnapshot[],
  meeting: ReadonlyMap<ParticipantId, HandlerAssignment>,
  participant: ParticipantId,
  options: AssignmentOptions = defaultAssignmentOptions,
): HandlerAssignment | undefined {
  const current = meeting.get(participant) ?? [];
  const live = new Set(handlers.filter((h) => h.health !== 'unhealthy').map((h) => h.handlerId));
  const liveCount = current.filter((id) => live.has(id)).length;
  if (liveCount >= options.redundancy) return undefined;
  if (liveCount === 0) {
    const others = new Map([...meeting].filter(([id]) => id !== participant));
    const fresh = assignHandlers(handlers, others, options);
    return fresh.length === 0 ? undefined : fresh;
  }
  const open = handlers.filter((h) => h.health !== 'unhealthy' && h.loadFraction < 1);
  const used = new Set<HandlerId>();
  for (const [id, assignment] of meeting) if (id !== participant) for (const h of assignment) used.add(h);
  const extra = standbyOrder(open, used, new Set(current)).slice(0, options.redundancy - liveCount);
  return extra.length === 0 ? undefined : [...current, ...extra];
}

/**
 * After handlers died: each participant whose primary is gone is promoted to its first live standby (it is already
 * connected there); returns only the participants whose assignment changed.
 */
export function failover(
  meeting: ReadonlyMap<ParticipantId, HandlerAssignment>,
  alive: ReadonlySet<HandlerId>,
): Map<ParticipantId, HandlerAssignment> {
  const changed = new Map<ParticipantId, HandlerAssignment>();
  for (const [participant, assignment] of meeting) {
    const live = assignment.filter((id) => alive.has(id));
    if (live.length !== assignment.length) changed.set(participant, live);
  }
  return changed;
}
