// MeetingControllerService (Connect): the Global Controller assigns and ends meetings and reads their state; media
// handlers register, report load and send telemetry (audio levels drive the active speaker).
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import { HealthStatus, MeetingControllerService } from '@darktower/protocol';
import { isMeetingError, type MeetingErrorCode } from '../errors.ts';
import { HandlerId, MeetingId, ParticipantId } from '../ids.ts';
import type { HandlerHealth, HandlerRegistry } from '../routing/handler-registry.ts';
import type { SignalingService } from '../signaling/signaling-service.ts';
import { participantOf } from '../signaling/wire.ts';
import type { RoomLogger } from '../signaling/room-types.ts';

export interface MeetingControllerRpcOptions {
  readonly service: SignalingService;
  readonly handlers: HandlerRegistry;
  /** Public signaling URL returned by AssignMeeting. */
  readonly endpoint: string;
  readonly handlerHeartbeatIntervalMs: number;
  /** Verifies the caller's service token; undefined = unauthenticated (development only). */
  readonly authenticate?: (authorization: string | null, signal: AbortSignal) => Promise<void>;
  readonly log: RoomLogger;
}

const ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const MAX_TELEMETRY = 4096;

function id(value: string, what: string): string {
  if (!ID.test(value)) throw new ConnectError(`${what} is invalid`, Code.InvalidArgument);
  return value;
}

function codeOf(code: MeetingErrorCode): Code {
  switch (code) {
    case 'INVALID_REQUEST':
    case 'MALFORMED_MESSAGE':
    case 'MESSAGE_TOO_LARGE':
    case 'UNSUPPORTED_VERSION':
      return Code.InvalidArgument;
    case 'UNAUTHORIZED':
    case 'SESSION_EXPIRED':
      return Code.Unauthenticated;
    case 'FORBIDDEN':
      return Code.PermissionDenied;
    case 'NOT_FOUND':
      return Code.NotFound;
    case 'CONFLICT':
      return Code.AlreadyExists;
    case 'CAPACITY_EXCEEDED':
    case 'RATE_LIMITED':
      return Code.ResourceExhausted;
    case 'UNAVAILABLE':
    case 'STREAM_ERROR':
      return Code.Unavailable;
    case 'TIMEOUT':
      return Code.DeadlineExceeded;
    case 'INTERNAL_ERROR':
      return Code.Internal;
  }
}

function healthOf(h: HealthStatus): HandlerHealth {
  return h === HealthStatus.DEGRADED ? 'degraded' : h === HealthStatus.UNHEALTHY ? 'unhealthy' : 'healthy';
}

export function meetingControllerRoutes(
  options: MeetingControllerRpcOptions,
): (router: ConnectRouter) => void {
  const { service, handlers } = options;
  // Not awaited: the handler's RPC returns at once; rooms run the top-up on their own chains.
  const restoreRedundancy = (): void => {
    service.restoreRedundancy().catch((error: unknown) => {
      options.log.warn({ err: error }, 'restoring media handler redundancy failed');
    });
  };
  function guarded<I, O>(fn: (req: I, ctx: HandlerContext) => Promise<O>) {
    return async (req: I, ctx: HandlerContext): Promise<O> => {
      await options.authenticate?.(ctx.requestHeader.get('authorization'), ctx.signal);
      try {
        return await fn(req, ctx);
      } catch (error) {
        if (error instanceof ConnectError) throw error;
        if (isMeetingError(error)) throw new ConnectError(error.message, codeOf(error.code));
        options.log.error({ err: error }, 'rpc handler failed');
        throw new ConnectError('internal error', Code.Internal);
      }
    };
  }

  return (router) => {
    router.service(MeetingControllerService, {
      assignMeeting: guarded(async (req) => {
        const a = req.assignment;
        if (a === undefined) throw new ConnectError('assignment is required', Code.InvalidArgument);
        const c = a.config;
        const accepted = await service.assignMeeting(MeetingId(id(a.meetingId, 'meeting_id')), {
          displayName: (c?.displayName ?? '').slice(0, 256),
          maxParticipants: Math.min(c?.maxParticipants ?? 0, 10_000),
          enableE2ee: c?.enableE2eEncryption ?? true,
          recordingEnabled: c?.recordingEnabled ?? false,
        });
        return { accepted, endpoint: options.endpoint };
      }),
      endMeeting: guarded(async (req) => {
        const n = await service.endMeeting(
          MeetingId(id(req.meetingId, 'meeting_id')),
          req.reason.slice(0, 256),
        );
        return { participantsDisconnected: n };
      }),
      getMeetingState: guarded(async (req) => {
        const state = await service.meetingState(MeetingId(id(req.meetingId, 'meeting_id')));
        if (state === undefined) throw new ConnectError('meeting not found', Code.NotFound);
        const c = state.meeting.config;
        return {
          meetingId: state.meeting.meetingId,
          config: {
            displayName: c.displayName,
            maxParticipants: c.maxParticipants,
            enableE2eEncryption: c.enableE2ee,
            recordingEnabled: c.recordingEnabled,
          },
          participants: state.participants.map(participantOf),
          createdAt: BigInt(state.meeting.createdAt),
          mediaHandlerIds: [...new Set(state.participants.flatMap((p) => p.handlers))],
          routingPlanVersion: BigInt(state.planVersion),
        };
      }),
      registerMediaHandler: guarded((req) => {
        const cap = req.capacity;
        handlers.register({
          handlerId: HandlerId(id(req.handlerId, 'handler_id')),
          region: req.region.slice(0, 64),
          mediaUrl: req.mediaUrl.slice(0, 2048),
          rpcUrl: req.rpcUrl.slice(0, 2048),
          capacity: { maxParticipants: cap?.maxParticipants ?? 0, maxStreams: cap?.maxStreams ?? 0 },
          serverCertificateHashes: req.serverCertificateHashes.slice(0, 4),
        });
        options.log.info({ handlerId: req.handlerId, mediaUrl: req.mediaUrl }, 'media handler registered');
        restoreRedundancy();
        return Promise.resolve({ heartbeatIntervalMs: options.handlerHeartbeatIntervalMs });
      }),
      mediaHandlerHeartbeat: guarded((req) => {
        const load = req.load;
        const handlerId = HandlerId(id(req.handlerId, 'handler_id'));
        const was = handlers.get(handlerId)?.health;
        const known = handlers.heartbeat(
          handlerId,
          { participants: load?.participants ?? 0, streams: load?.streams ?? 0 },
          healthOf(req.health),
        );
        // Back from unhealthy (a missed health check, a stall): it can take standbys again.
        if (known && was === 'unhealthy' && handlers.get(handlerId)?.health !== 'unhealthy')
          restoreRedundancy();
        return Promise.resolve({ reregister: !known });
      }),
      reportTelemetry: guarded(async (req) => {
        const meetingId = MeetingId(id(req.meetingId, 'meeting_id'));
        for (const t of req.telemetry.slice(0, MAX_TELEMETRY)) {
          if (t.participantId === '' || !ID.test(t.participantId)) continue;
          if (t.audioLevel > 127) continue;
          await service.audioLevel(meetingId, ParticipantId(t.participantId), t.streamId, t.audioLevel);
        }
        for (const q of req.quality.slice(0, MAX_TELEMETRY)) {
          if (q.update === undefined || !ID.test(q.subscriberParticipantId)) continue;
          await service.handlerQuality(meetingId, ParticipantId(q.subscriberParticipantId), q.update);
        }
        return {};
      }),
    });
  };
}
