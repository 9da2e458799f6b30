// Executes a routing plan change on the media handlers, make-before-break: every handler gets its added routes
// first (in parallel), and only after all of them acknowledged are the old routes removed. A handler that fails
// is reported so the room can fail its participants over and plan again.
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  RouteAction,
  type RouteMediaCommand,
  RouteMediaCommandSchema,
  RouteMediaRequestSchema,
  type RouteDestination as WireDestination,
  RouteDestinationSchema,
} from '@darktower/protocol';
import type { HandlerId, MeetingId } from '../ids.ts';
import { groupByHandler, type HandlerRouteBatch, type PlanDiff } from '../routing/plan-diff.ts';
import type { Route, RoutingPlan } from '../routing/routing-plan.ts';
import { isMeetingError } from '../errors.ts';
import type { MediaHandlerGateway } from './media-gateway.ts';

export interface ExecutionResult {
  /** Handlers that could not be reached (connection refused, unknown here): gone; their participants fail over. */
  readonly failedHandlers: readonly HandlerId[];
  /**
   * Handlers that were reached but did not confirm the change (a timeout on a loaded machine, an internal error):
   * alive as far as we know (the health probe decides otherwise), but their routes may be behind the plan, so the
   * room resynchronises them with their complete routes (`resyncHandler`).
   */
  readonly unsyncedHandlers: readonly HandlerId[];
  /** The last plan_version sent. */
  readonly version: number;
}

function destinationOf(route: Route): WireDestination {
  const d = route.destination;
  return create(RouteDestinationSchema, {
    target:
      d.kind === 'local'
        ? {
            case: 'local',
            value: {
              participantId: d.participantId,
              forwardedStreamId: d.forwardedStreamId,
              ...(d.slot === undefined ? {} : { slot: d.slot }),
            },
          }
        : { case: 'remote', value: { handlerId: d.handlerId } },
  });
}

function commandOf(c: HandlerRouteBatch['commands'][number]): RouteMediaCommand {
  return create(RouteMediaCommandSchema, {
    sourceStreamId: c.sourceStreamId,
    sourceParticipantId: c.routes[0]?.sourceParticipantId ?? '',
    action: c.action === 'add' ? RouteAction.ADD : RouteAction.REMOVE,
    destinations: c.routes.map(destinationOf),
  });
}

export async function executePlanDiff(
  gateway: MediaHandlerGateway,
  meetingId: MeetingId,
  diff: PlanDiff,
  firstVersion: number,
  signal?: AbortSignal,
): Promise<ExecutionResult> {
  const failed = new Set<HandlerId>();
  const unsynced = new Set<HandlerId>();
  let version = firstVersion;
  for (const [routes, action] of [
    [diff.addRoutes, 'add'],
    [diff.removeRoutes, 'remove'],
  ] as const) {
    if (routes.length === 0) continue;
    const planVersion = version++;
    const batches = groupByHandler(routes, action);
    const results = await Promise.allSettled(
      batches.map((batch) =>
        gateway.routeMedia(
          batch.handlerId,
          create(RouteMediaRequestSchema, {
            meetingId,
            planVersion: BigInt(planVersion),
            commands: batch.commands.map(commandOf),
          }),
          signal,
        ),
      ),
    );
    results.forEach((r, i) => {
      const handler = batches[i]?.handlerId;
      if (r.status === 'rejected' && handler !== undefined)
        (isUnreachable(r.reason) ? failed : unsynced).add(handler);
    });
  }
  for (const h of failed) unsynced.delete(h);
  return { failedHandlers: [...failed], unsyncedHandlers: [...unsynced], version: version - 1 };
}

/**
 * Sends a handler every route the plan gives it, replacing whatever it holds for the meeting (after it missed an
 * update). Rejects like routeMedia does.
 */
export async function resyncHandler(
  gateway: MediaHandlerGateway,
  meetingId: MeetingId,
  plan: RoutingPlan,
  handlerId: HandlerId,
  planVersion: number,
  signal?: AbortSignal,
): Promise<void> {
  const [batch] = groupByHandler(
    plan.routes.filter((r) => r.handlerId === handlerId),
    'add',
  );
  await gateway.routeMedia(
    handlerId,
    create(RouteMediaRequestSchema, {
      meetingId,
      planVersion: BigInt(planVersion),
      replaceAll: true,
      commands: (batch?.commands ?? []).map(commandOf),
    }),
    signal,
  );
}

/** A handler that refused the connection (or is unknown here) is gone; anything else means it answered. */
export function isUnreachable(error: unknown): boolean {
  if (error instanceof ConnectError) return error.code === Code.Unavailable;
  return isMeetingError(error, 'UNAVAILABLE');
}
