// A meeting's routing plan (architecture.md "Generate Routing Plan"): for each publisher stream, the handler it is
// sent to; for each handler, where it forwards each stream (a local subscriber, or a peer handler: a cascade);
// for each subscriber, the handler it receives from. Pure: built from assignments, publications and demands.
import type { HandlerId, ParticipantId, StreamId } from '../ids.ts';
import type { HandlerAssignment } from './assign-handlers.ts';

export interface Publication {
  readonly streamId: StreamId;
  readonly publisher: ParticipantId;
}

/** A subscriber wants `sourceStreamId`, delivered under `forwardedStreamId` (a layout slot id, or the source id). */
export interface Demand {
  readonly subscriber: ParticipantId;
  readonly sourceStreamId: StreamId;
  readonly forwardedStreamId: StreamId;
  readonly slot?: number;
}

export type RouteDestination =
  | {
      readonly kind: 'local';
      readonly participantId: ParticipantId;
      readonly forwardedStreamId: StreamId;
      readonly slot?: number;
    }
  | { readonly kind: 'remote'; readonly handlerId: HandlerId };

/** One forwarding rule on one handler. */
export interface Route {
  readonly handlerId: HandlerId;
  readonly sourceStreamId: StreamId;
  readonly sourceParticipantId: ParticipantId;
  readonly destination: RouteDestination;
}

export interface PublishTarget {
  readonly streamId: StreamId;
  readonly publisher: ParticipantId;
  readonly handlerId: HandlerId;
}

export interface RoutingPlan {
  readonly version: number;
  /** Where each publisher sends each stream. */
  readonly publish: readonly PublishTarget[];
  /** Every forwarding rule, sorted by routeKey. */
  readonly routes: readonly Route[];
  /** The handler each subscriber receives from (its primary). */
  readonly receiveFrom: ReadonlyMap<ParticipantId, HandlerId>;
}

export interface PlanInput {
  readonly version: number;
  readonly assignments: ReadonlyMap<ParticipantId, HandlerAssignment>;
  readonly publications: readonly Publication[];
  readonly demands: readonly Demand[];
}

export function routeKey(route: Route): string {
  const d = route.destination;
  const to =
    d.kind === 'local' ? `L:${d.participantId}:${d.forwardedStreamId}:${d.slot ?? ''}` : `R:${d.handlerId}`;
  return `${route.handlerId}|${route.sourceStreamId}|${to}`;
}

export function publishKey(target: PublishTarget): string {
  return `${target.handlerId}|${target.streamId}`;
}

export function buildRoutingPlan(input: PlanInput): RoutingPlan {
  const primaryOf = (id: ParticipantId): HandlerId | undefined => input.assignments.get(id)?.[0];
  const source = new Map<StreamId, PublishTarget>();
  for (const p of input.publications) {
    const handlerId = primaryOf(p.publisher);
    if (handlerId !== undefined)
      source.set(p.streamId, { streamId: p.streamId, publisher: p.publisher, handlerId });
  }

  const routes = new Map<string, Route>();
  const add = (route: Route): void => {
    routes.set(routeKey(route), route);
  };
  const receiveFrom = new Map<ParticipantId, HandlerId>();
  for (const demand of input.demands) {
    const from = source.get(demand.sourceStreamId);
    const to = primaryOf(demand.subscriber);
    if (from === undefined || to === undefined || from.publisher === demand.subscriber) continue;
    receiveFrom.set(demand.subscriber, to);
    if (from.handlerId !== to) {
      add({
        handlerId: from.handlerId,
        sourceStreamId: from.streamId,
        sourceParticipantId: from.publisher,
        destination: { kind: 'remote', handlerId: to },
      });
    }
    add({
      handlerId: to,
      sourceStreamId: from.streamId,
      sourceParticipantId: from.publisher,
      destination: {
        kind: 'local',
        participantId: demand.subscriber,
        forwardedStreamId: demand.forwardedStreamId,
        ...(demand.slot === undefined ? {} : { slot: demand.slot }),
      },
    });
  }
  const sorted = [...routes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
  const publish = [...source.values()].sort((a, b) => (publishKey(a) < publishKey(b) ? -1 : 1));
  return { version: input.version, publish, routes: sorted, receiveFrom };
}

/** Routes that cross handlers. */
export function cascades(plan: RoutingPlan): Route[] {
  return plan.routes.filter((r) => r.destination.kind === 'remote');
}
