// Executes a routing plan change on the media handlers, make-before-break: every handler gets its added routes
// first (in parallel), and only after all of them acknowledged are the old routes removed. A handler that fails
// is reported so the room can fail its participants over and plan again.
import { create } from '@bufbuild/protobuf';
import {
  RouteAction,
  RouteMediaCommandSchema,
  RouteMediaRequestSchema,
  type RouteDestination as WireDestination,
  RouteDestinationSchema,
} from '@darktower/protocol';
import type { HandlerId, MeetingId } from '../ids.ts';
import { groupByHandler, type PlanDiff } from '../routing/plan-diff.ts';
import type { Route } from '../routing/routing-plan.ts';
import type { MediaHandlerGateway } from './media-gateway.ts';

export interface ExecutionResult {
  readonly failedHandlers: readonly HandlerId[];
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

export async function executePlanDiff(
  gateway: MediaHandlerGateway,
  meetingId: MeetingId,
  diff: PlanDiff,
  firstVersion: number,
  signal?: AbortSignal,
): Promise<ExecutionResult> {
  const failed = new Set<HandlerId>();
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
            commands: batch.commands.map((c) =>
              create(RouteMediaCommandSchema, {
                sourceStreamId: c.sourceStreamId,
                sourceParticipantId: c.routes[0]?.sourceParticipantId ?? '',
                action: c.action === 'add' ? RouteAction.ADD : RouteAction.REMOVE,
                destinations: c.routes.map(destinationOf),
              }),
            ),
          }),
          signal,
        ),
      ),
    );
    results.forEach((r, i) => {
      const handler = batches[i]?.handlerId;
      if (r.status === 'rejected' && handler !== undefined) failed.add(handler);
    });
  }
  return { failedHandlers: [...failed], version: version - 1 };
}
