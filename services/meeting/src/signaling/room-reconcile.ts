// After every change to a room: recompute each member's layout (sending only what changed), rebuild the routing
// plan and apply its difference to the media handlers make-before-break, failing participants over when a handler
// does not answer.
import type { HandlerId, MeetingId, ParticipantId, StreamId } from '../ids.ts';
import { failover, type HandlerAssignment } from '../routing/assign-handlers.ts';
import { diffPlans, isEmptyPlanDiff } from '../routing/plan-diff.ts';
import { buildRoutingPlan, cascades, type Demand, type RoutingPlan } from '../routing/routing-plan.ts';
import { computeFor, layoutUpdateOf } from './room-layouts.ts';
import { executePlanDiff, isUnreachable, resyncHandler } from './route-executor.ts';
import { isConnected, type Member, type RoomDeps } from './room-types.ts';
import { serverMessage } from './wire.ts';

export interface ReconcileState {
  readonly meetingId: MeetingId;
  readonly members: ReadonlyMap<ParticipantId, Member>;
  plan: RoutingPlan | undefined;
  planVersion: number;
  readonly cascadesUp: Set<string>;
  /**
   * Handlers that did not confirm a route update but were not found dead, with the resync attempts made so far:
   * `resyncUnsynced` sends them their complete routes.
   */
  readonly unsynced: Map<HandlerId, number>;
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
    for (const h of result.unsyncedHandlers) {
      if (!state.unsynced.has(h)) state.unsynced.set(h, 0);
      deps.log.warn(
        { meetingId: state.meetingId, handlerId: h },
        'media handler did not confirm a route update; resynchronising its routes',
      );
    }
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

/**
 * Promotes standbys for participants on failed handlers; true when someone moved. Links to or from a failed handler
 * are gone with it: they are forgotten, so that when it comes back (under the same id) the next plan dials them again.
 */
export function moveOffFailed(
  state: ReconcileState,
  failed: ReadonlySet<HandlerId>,
  moved: Set<ParticipantId>,
): boolean {
  const gone = new Set<string>(failed);
  for (const key of [...state.cascadesUp])
    if (key.split('>').some((h) => gone.has(h))) state.cascadesUp.delete(key);
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

/**
 * Sets up the cascade links the plan needs, in parallel. A handler that cannot be reached (connection refused) has
 * failed: the caller fails its participants over. Any other failure (the handler answered, but its dial to the peer
 * timed out on a loaded machine, say) is not the handler's death: the link is retried in the background while the
 * plan still needs it, and routes to the peer wait for it meanwhile.
 */
async function setupCascades(state: ReconcileState, deps: RoomDeps, plan: RoutingPlan): Promise<HandlerId[]> {
  // One dial per pair of handlers: a link carries streams both ways, and two handlers dialing each other at the
  // same time would each replace the other's link and leave neither (the pair's second key is then up too).
  const needed = new Map<string, { from: HandlerId; to: HandlerId }>();
  for (const route of cascades(plan)) {
    if (route.destination.kind !== 'remote') continue;
    const from = route.handlerId;
    const to = route.destination.handlerId;
    if (state.cascadesUp.has(`${from}>${to}`)) continue;
    const pair = from < to ? `${from}>${to}` : `${to}>${from}`;
    if (!needed.has(pair)) needed.set(pair, { from, to });
  }
  const failed: HandlerId[] = [];
  await Promise.all(
    [...needed.values()].map(async (link) => {
      const key = `${link.from}>${link.to}`;
      const error = await dialCascade(state, deps, key, link);
      if (error === undefined) return;
      if (isUnreachable(error)) {
        deps.log.warn({ err: error, key }, 'cascade setup failed: handler unreachable');
        failed.push(link.from);
      } else {
        deps.log.warn({ err: error, key }, 'cascade setup failed; retrying');
        retryCascade(state, deps, key, link, 1);
      }
    }),
  );
  return failed;
}

const CASCADE_RETRIES = 5;
const CASCADE_RETRY_DELAY_MS = 1_000;

async function dialCascade(
  state: ReconcileState,
  deps: RoomDeps,
  key: string,
  link: { from: HandlerId; to: HandlerId },
): Promise<unknown> {
  try {
    await deps.media.setupCascade(
      link.from,
      { meetingId: state.meetingId, peer: link.to },
      AbortSignal.timeout(deps.options.rpcTimeoutMs),
    );
    state.cascadesUp.add(key);
    state.cascadesUp.add(`${link.to}>${link.from}`); // the same link carries the other direction
    return undefined;
  } catch (error) {
    return error ?? new Error('cascade setup failed');
  }
}

function retryCascade(
  state: ReconcileState,
  deps: RoomDeps,
  key: string,
  link: { from: HandlerId; to: HandlerId },
  attempt: number,
): void {
  const timer = setTimeout(() => {
    // Only while the current plan still needs this link and nobody set it up since.
    const stillNeeded =
      state.plan !== undefined &&
      cascades(state.plan).some(
        (r) =>
          r.handlerId === link.from && r.destination.kind === 'remote' && r.destination.handlerId === link.to,
      );
    if (!stillNeeded || state.cascadesUp.has(key)) return;
    void dialCascade(state, deps, key, link).then((error) => {
      if (error === undefined) {
        deps.log.info({ key, attempt }, 'cascade set up on retry');
      } else if (attempt < CASCADE_RETRIES && !isUnreachable(error)) {
        retryCascade(state, deps, key, link, attempt + 1);
      } else {
        deps.log.warn({ err: error, key, attempts: attempt + 1 }, 'cascade setup gave up');
      }
    });
  }, CASCADE_RETRY_DELAY_MS * attempt);
  timer.unref();
}

/** Resync attempts before a handler that keeps answering badly is treated as failed. */
export const MAX_RESYNC_ATTEMPTS = 5;

/**
 * Sends each unsynced handler its complete routes (replacing what it holds). Returns the handlers to fail over:
 * unreachable ones, and ones still not confirming after MAX_RESYNC_ATTEMPTS; the others stay for the next try.
 */
export async function resyncUnsynced(state: ReconcileState, deps: RoomDeps): Promise<Set<HandlerId>> {
  const failed = new Set<HandlerId>();
  const plan = state.plan;
  if (plan === undefined) {
    state.unsynced.clear();
    return failed;
  }
  for (const [h, attempts] of [...state.unsynced]) {
    const version = ++state.planVersion;
    try {
      await resyncHandler(
        deps.media,
        state.meetingId,
        plan,
        h,
        version,
        AbortSignal.timeout(deps.options.rpcTimeoutMs),
      );
      state.unsynced.delete(h);
      deps.log.info({ meetingId: state.meetingId, handlerId: h }, 'media handler routes resynchronised');
    } catch (error) {
      if (isUnreachable(error) || attempts + 1 >= MAX_RESYNC_ATTEMPTS) {
        state.unsynced.delete(h);
        failed.add(h);
        deps.handlers.markUnhealthy(h);
        deps.log.warn(
          { err: error, meetingId: state.meetingId, handlerId: h, attempts: attempts + 1 },
          'media handler routes could not be resynchronised; failing over',
        );
      } else {
        state.unsynced.set(h, attempts + 1);
      }
    }
  }
  state.plan = { ...plan, version: state.planVersion };
  return failed;
}
