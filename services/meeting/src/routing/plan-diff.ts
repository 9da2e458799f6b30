// Make-before-break changes between two routing plans: everything the new plan adds is set up first (publishers
// start sending to their new handler, handlers add routes), and only then is what the old plan had and the new one
// lacks torn down. During the switch media briefly flows both ways; no frame is lost.
import type { HandlerId, StreamId } from '../ids.ts';
import { publishKey, routeKey, type PublishTarget, type Route, type RoutingPlan } from './routing-plan.ts';

export interface PlanDiff {
  readonly fromVersion: number;
  readonly toVersion: number;
  /** Phase 1 (make). */
  readonly addPublish: readonly PublishTarget[];
  readonly addRoutes: readonly Route[];
  /** Phase 2 (break), after every phase-1 step is acknowledged. */
  readonly removeRoutes: readonly Route[];
  readonly removePublish: readonly PublishTarget[];
}

export function diffPlans(before: RoutingPlan | undefined, after: RoutingPlan): PlanDiff {
  const oldRoutes = new Map((before?.routes ?? []).map((r) => [routeKey(r), r]));
  const newRoutes = new Map(after.routes.map((r) => [routeKey(r), r]));
  const oldPub = new Map((before?.publish ?? []).map((p) => [publishKey(p), p]));
  const newPub = new Map(after.publish.map((p) => [publishKey(p), p]));
  return {
    fromVersion: before?.version ?? 0,
    toVersion: after.version,
    addPublish: [...newPub].filter(([k]) => !oldPub.has(k)).map(([, p]) => p),
    addRoutes: [...newRoutes].filter(([k]) => !oldRoutes.has(k)).map(([, r]) => r),
    removeRoutes: [...oldRoutes].filter(([k]) => !newRoutes.has(k)).map(([, r]) => r),
    removePublish: [...oldPub].filter(([k]) => !newPub.has(k)).map(([, p]) => p),
  };
}

export function isEmptyPlanDiff(diff: PlanDiff): boolean {
  return (
    diff.addPublish.length === 0 &&
    diff.addRoutes.length === 0 &&
    diff.removeRoutes.length === 0 &&
    diff.removePublish.length === 0
  );
}

/** Routes grouped per handler and source stream: the unit of a RouteMediaCommand. */
export interface HandlerRouteBatch {
  readonly handlerId: HandlerId;
  readonly commands: readonly {
    readonly action: 'add' | 'remove';
    readonly sourceStreamId: StreamId;
    readonly routes: readonly Route[];
  }[];
}

export function groupByHandler(routes: readonly Route[], action: 'add' | 'remove'): HandlerRouteBatch[] {
  const byHandler = new Map<HandlerId, Map<StreamId, Route[]>>();
  for (const r of routes) {
    const streams = byHandler.get(r.handlerId) ?? new Map<StreamId, Route[]>();
    byHandler.set(r.handlerId, streams);
    const list = streams.get(r.sourceStreamId) ?? [];
    streams.set(r.sourceStreamId, list);
    list.push(r);
  }
  return [...byHandler].map(([handlerId, streams]) => ({
    handlerId,
    commands: [...streams].map(([sourceStreamId, list]) => ({ action, sourceStreamId, routes: list })),
  }));
}

/** Applies a diff to a plan (for tests and for replaying plan changes). */
export function applyPlanDiff(
  plan: RoutingPlan | undefined,
  diff: PlanDiff,
): Pick<RoutingPlan, 'version' | 'routes' | 'publish'> {
  const routes = new Map((plan?.routes ?? []).map((r) => [routeKey(r), r]));
  for (const r of diff.addRoutes) routes.set(routeKey(r), r);
  for (const r of diff.removeRoutes) routes.delete(routeKey(r));
  const publish = new Map((plan?.publish ?? []).map((p) => [publishKey(p), p]));
  for (const p of diff.addPublish) publish.set(publishKey(p), p);
  for (const p of diff.removePublish) publish.delete(publishKey(p));
  return {
    version: diff.toVersion,
    routes: [...routes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r),
    publish: [...publish].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p),
  };
}
