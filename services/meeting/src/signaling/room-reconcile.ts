// After every change to a room: recompute each member's layout (sending only what changed), rebuild the routing
// plan and apply its difference to the media handlers make-before-break, failing participants over when a handler
// does not answer.
import type { HandlerId, MeetingId, ParticipantId, StreamId } from '../ids.ts';
import { failover, type HandlerAssignment } from '../routing/assign-handlers.ts';
import { diffPlans, isEmptyPlanDiff } from '../routing/plan-diff.ts';
import { buildRoutingPlan, cascades, type Demand, type RoutingPlan } from '../routing/routing-plan.ts';
import { computeFor, layoutUpdateOf } from './room-layouts.ts';
import { executePlanDiff } from './route-executor.ts';
import { isConnected, type Member, type RoomDeps } from './room-types.ts';
import { serverMessage } from './wire.ts';

export interface ReconcileState {
  readonly meetingId: MeetingId;
  readonly members: ReadonlyMap<ParticipantId, Member>;
  plan: RoutingPlan | undefined;
  planVersion: number;
  readonly cascadesUp: Set<string>;
  readonly activeSpeakers: () => readonly ParticipantId[];
}

/** Recomputes layouts; returns the updates to send (after routing is in place, so media flows when they land). */
export function updateLayouts(state: ReconcileState, fullFor?: ParticipantId, requestId = 0): (() => void)[] {
  const out: (() => void)[] = [];
  const connected = [...state.members.values()].filter(isConnected);
  const records = connected.map((m) => m.record);
  const speakers = state.activeSpeakers();
  for (const m of connected) {
    if (m.record.layout === null) continue;
    const full = m.record.participantId === fullFor;
    const after = computeFor(m.record, records, speakers, full ? undefined : m.layout);
    if (after === undefined) continue;
    const update = layoutUpdateOf(
      m.layout,
      after,
      m.record.layout.slotIds,
      m.record.handlers[0],
      m.layoutVersion,
      full,
    );
    m.layout = after;
    if (update === undefined) continue;
    m.layoutVersion++;
    const link = m.link;
    out.push(() => {
      link.send(serverMessage({ case: 'layoutUpdate', value: update }, full ? requestId : 0));
    });
  }
  return out;
}

function planInput(state: ReconcileState, version: number) {
  const connected = [...state.members.values()].filter(isConnected);
  const assignments = new Map<ParticipantId, HandlerAssignment>(
    connected.map((m) => [m.record.participantId, m.record.handlers]),
  );
  const publications = connected.flatMap((m) =>
    m.record.streams.map((s) => ({ streamId: s.streamId, publisher: m.record.participantId })),
  );
  const demands: Demand[] = [];
  for (const m of connected) {
    const subscriber = m.record.participantId;
    for (const [slot, a] of (m.layout?.slots ?? []).entries()) {
      const index = m.record.layout?.slotIds.indexOf(a.slotId) ?? slot;
      demands.push({
        subscriber,
        sourceStreamId: a.streamId,
        forwardedStreamId: a.slotId as string as StreamId,
        slot: index,
      });
    }
    for (const s of m.record.subscriptions) {
      demands.push({ subscriber, sourceStreamId: s.streamId, forwardedStreamId: s.streamId });
    }
  }
  return { version, assignments, publications, demands };
}

/**
 * Rebuilds and applies the routing plan. Returns the participants whose handlers changed because a handler failed
 * (the caller tells them and persists their records).
 */
export async function updateRouting(state: ReconcileState, deps: RoomDeps): Promise<Set<ParticipantId>> {
  const moved = new Set<ParticipantId>();
  for (let attempt = 0; attempt < 3; attempt++) {
    const next = buildRoutingPlan(planInput(state, state.planVersion + 1));
    const diff = diffPlans(state.plan, next);
    if (isEmptyPlanDiff(diff)) return moved;
    const failed = new Set<HandlerId>(await setupCascades(state, deps, next));
    const signal = AbortSignal.timeout(deps.options.rpcTimeoutMs);
    const result = await executePlanDiff(deps.media, state.meetingId, diff, state.planVersion + 1, signal);
    state.planVersion = Math.max(state.planVersion + 1, result.version);
    for (const h of result.failedHandlers) failed.add(h);
    const applied = { ...next, version: state.planVersion };
    state.plan = applied;
    if (failed.size === 0) {
      await deps.store.putRoutingPlan(state.meetingId, applied);
      return moved;
    }
    for (const h of failed) {
      deps.handlers.markUnhealthy(h);
      deps.log.warn({ meetingId: state.meetingId, handlerId: h }, 'media handler failed; failing over');
    }
    if (!moveOffFailed(state, failed, moved)) {
      await deps.store.putRoutingPlan(state.meetingId, applied);
      return moved;
    }
  }
  return moved;
}

/** Promotes standbys for participants on failed handlers; true when someone moved. */
export function moveOffFailed(
  state: ReconcileState,
  failed: ReadonlySet<HandlerId>,
  moved: Set<ParticipantId>,
): boolean {
  const current = new Map([...state.members].map(([id, m]) => [id, m.record.handlers]));
  const alive = new Set([...current.values()].flat().filter((h) => !failed.has(h)));
  const changed = failover(current, alive);
  for (const [id, handlers] of changed) {
    const m = state.members.get(id);
    if (m === undefined) continue;
    m.record = { ...m.record, handlers };
    moved.add(id);
  }
  return changed.size > 0;
}

async function setupCascades(state: ReconcileState, deps: RoomDeps, plan: RoutingPlan): Promise<HandlerId[]> {
  const failed: HandlerId[] = [];
  for (const route of cascades(plan)) {
    if (route.destination.kind !== 'remote') continue;
    const key = `${route.handlerId}>${route.destination.handlerId}`;
    if (state.cascadesUp.has(key)) continue;
    try {
      await deps.media.setupCascade(
        route.handlerId,
        { meetingId: state.meetingId, peer: route.destination.handlerId },
        AbortSignal.timeout(deps.options.rpcTimeoutMs),
      );
      state.cascadesUp.add(key);
    } catch (error) {
      deps.log.warn({ err: error, key }, 'cascade setup failed');
      failed.push(route.handlerId);
    }
  }
  return failed;
}
