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
  const byLoad = (a: HandlerSnapshot, b: HandlerSnapshot): number =>
    a.loadFraction - b.loadFraction || (a.handlerId < b.handlerId ? -1 : a.handlerId > b.handlerId ? 1 : 0);

  const coLocated = pool
    .filter((h) => (primaries.get(h.handlerId) ?? 0) > 0 && h.loadFraction < options.coLocateMaxLoad)
    .sort((a, b) => (primaries.get(b.handlerId) ?? 0) - (primaries.get(a.handlerId) ?? 0) || byLoad(a, b));
  const primary = coLocated[0] ?? [...pool].sort(byLoad)[0];
  if (primary === undefined) return [];

  const rest = open
    .filter((h) => h.handlerId !== primary.handlerId)
    // Standbys: handlers the meeting already uses first (fewer cascades after a failover), then by load.
    .sort((a, b) => Number(used.has(b.handlerId)) - Number(used.has(a.handlerId)) || byLoad(a, b));
  return [primary.handlerId, ...rest.slice(0, Math.max(0, options.redundancy - 1)).map((h) => h.handlerId)];
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
