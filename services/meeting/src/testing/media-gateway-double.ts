// A test double of the MediaHandlerService RPC for unit tests of the controller (integration tests use real
// media handlers). It keeps what a handler would: registered participants and routes, and can be told to fail.
import { Code, ConnectError } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import {
  RegisterParticipantResponseSchema,
  RouteAction,
  RouteMediaResponseSchema,
  type RegisterParticipantResponse,
  type RouteMediaRequest,
  type RouteMediaResponse,
} from '@darktower/protocol';
import { MeetingError } from '../errors.ts';
import type { HandlerId, MeetingId, ParticipantId } from '../ids.ts';
import type { MediaHandlerGateway } from '../signaling/media-gateway.ts';
import type { StreamRecord } from '../state/records.ts';

export interface RecordedRoute {
  readonly handlerId: HandlerId;
  readonly source: string;
  /** `p:<participant>:<forwarded id>` or `h:<handler>`. */
  readonly to: string;
}

export class MediaGatewayDouble implements MediaHandlerGateway {
  /** Handlers that refuse connections (dead): every call fails as the real gateway reports it (UNAVAILABLE). */
  readonly failing = new Set<HandlerId>();
  /** Handlers that are up but let RouteMedia time out (a stalled or overloaded process). */
  readonly unanswered = new Set<HandlerId>();
  /** RouteMedia calls that replaced a handler's routes for a meeting (replace_all): `handler routes`. */
  readonly replaced: string[] = [];
  readonly registered = new Map<HandlerId, Set<string>>();
  readonly routes = new Map<string, RecordedRoute>();
  readonly cascades = new Set<string>();
  /** Cascade setups that fail (the handler answers, its dial to the peer timed out) before one succeeds. */
  cascadeDialFailures = 0;
  cascadeAttempts = 0;
  /** Every RouteMedia call in order: `handler version action count`. */
  readonly log: string[] = [];
  #tokens = 0;

  registerParticipant(
    handlerId: HandlerId,
    request: {
      meetingId: MeetingId;
      participantId: ParticipantId;
      streams: readonly StreamRecord[];
      tokenTtlMs: number;
    },
  ): Promise<RegisterParticipantResponse> {
    if (this.failing.has(handlerId))
      return Promise.reject(MeetingError.unavailable(`${handlerId} unreachable`));
    const set = this.registered.get(handlerId) ?? new Set<string>();
    this.registered.set(handlerId, set);
    set.add(request.participantId);
    return Promise.resolve(
      create(RegisterParticipantResponseSchema, {
        connectionToken: `token-${handlerId}-${++this.#tokens}`,
        mediaHandlerUrl: `https://${handlerId}.test:4434`,
        handlerId,
        tokenExpiresAt: BigInt(Date.now() + request.tokenTtlMs),
      }),
    );
  }

  unregisterParticipant(
    handlerId: HandlerId,
    _meetingId: MeetingId,
    participantId: ParticipantId,
  ): Promise<void> {
    this.registered.get(handlerId)?.delete(participantId);
    return Promise.resolve();
  }

  routeMedia(handlerId: HandlerId, request: RouteMediaRequest): Promise<RouteMediaResponse> {
    if (this.failing.has(handlerId))
      return Promise.reject(MeetingError.unavailable(`${handlerId} unreachable`));
    if (this.unanswered.has(handlerId))
      return Promise.reject(new ConnectError(`${handlerId} did not answer`, Code.DeadlineExceeded));
    if (request.replaceAll) {
      for (const [key, r] of this.routes) if (r.handlerId === handlerId) this.routes.delete(key);
      this.replaced.push(
        `${handlerId} ${String(request.commands.reduce((n, c) => n + c.destinations.length, 0))}`,
      );
    }
    for (const c of request.commands) {
      this.log.push(
        `${handlerId} v${request.planVersion} ${c.action === RouteAction.ADD ? 'add' : 'remove'} ${c.destinations.length}`,
      );
      for (const d of c.destinations) {
        const to =
          d.target.case === 'local'
            ? `p:${d.target.value.participantId}:${d.target.value.forwardedStreamId}`
            : `h:${d.target.value?.handlerId ?? ''}`;
        const key = `${handlerId}|${c.sourceStreamId}|${to}`;
        if (c.action === RouteAction.ADD) this.routes.set(key, { handlerId, source: c.sourceStreamId, to });
        else this.routes.delete(key);
      }
    }
    const routes = [...this.routes.values()].filter((r) => r.handlerId === handlerId).length;
    return Promise.resolve(
      create(RouteMediaResponseSchema, { appliedPlanVersion: request.planVersion, routes }),
    );
  }

  setupCascade(handlerId: HandlerId, request: { meetingId: MeetingId; peer: HandlerId }): Promise<void> {
    // As the real gateway reports a handler that refuses connections.
    if (this.failing.has(handlerId))
      return Promise.reject(MeetingError.unavailable(`${handlerId} unreachable`));
    this.cascadeAttempts++;
    if (this.cascadeDialFailures > 0) {
      this.cascadeDialFailures--;
      return Promise.reject(new Error(`${handlerId}: dial to ${request.peer} timed out`));
    }
    this.cascades.add(`${handlerId}>${request.peer}`);
    return Promise.resolve();
  }

  /** Key frame requests: `handler stream`. */
  readonly keyframes: string[] = [];

  requestKeyframe(handlerId: HandlerId, streamId: string): Promise<boolean> {
    this.keyframes.push(`${handlerId} ${streamId}`);
    return Promise.resolve(true);
  }

  /** Routes delivering to a participant: `source -> forwarded id`. */
  deliveredTo(participantId: string): string[] {
    return [...this.routes.values()]
      .filter((r) => r.to.startsWith(`p:${participantId}:`))
      .map((r) => `${r.source}->${r.to.split(':')[2] ?? ''}`)
      .sort();
  }
}
