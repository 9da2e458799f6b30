import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import {
  AssignMeetingSchema,
  GlobalControllerService,
  HealthStatus,
  MeetingConfigSchema,
  type ControllerCapacity as ProtoCapacity,
} from '@darktower/protocol';
import { isAuthError } from '@darktower/auth-verifier';
import { isGlobalError, type GlobalErrorCode } from '../domain/errors.ts';
import { parseControllerId, parseMeetingId } from '../domain/ids.ts';
import type { Meeting } from '../domain/meeting.ts';
import type { Authenticator } from '../http/authenticator.ts';
import type { ControllerCapacity, ControllerHealth } from '../registry/controller.ts';
import type { ControllerRegistry } from '../registry/controller-registry.ts';
import type { MeetingRepository } from '../store/meeting-repository.ts';

export interface GlobalControllerRpcOptions {
  readonly registry: ControllerRegistry;
  readonly meetings: MeetingRepository;
  readonly authenticator: Authenticator;
  readonly onRegistered?: (controllerId: string) => void;
  readonly onInternalError?: (error: unknown) => void;
}

const MAX_REPORTED_MEETINGS = 10_000;
const MAX_HANDED_OUT = 500;

/**
 * GlobalControllerService (api-contracts.md section 5) for Meeting Controllers: every call needs a service token
 * with `service.write.gc`, and a controller id stays bound to the service identity that registered it.
 */
export function globalControllerRoutes(options: GlobalControllerRpcOptions): (router: ConnectRouter) => void {
  const { registry, meetings, authenticator } = options;
  const serviceOf = (ctx: HandlerContext): Promise<string> =>
    authenticator.authenticateService(ctx.requestHeader.get('authorization'), ctx.signal);

  return (router) => {
    router.service(GlobalControllerService, {
      registerMeetingController: guard(options, async (req, ctx) => {
        const owner = await serviceOf(ctx);
        const c = req.controller;
        if (c === undefined) throw new ConnectError('controller is required', Code.InvalidArgument);
        const record = await registry.register({
          controllerId: c.controllerId,
          owner,
          region: c.region,
          rpcEndpoint: c.rpcEndpoint,
          clientUrl: c.endpoint,
          capacity: capacityOf(c.capacity),
        });
        options.onRegistered?.(record.id);
        const assigned = await meetings.activeOnController(record.id, MAX_HANDED_OUT);
        return { heartbeatIntervalMs: registry.heartbeatIntervalMs, assignments: assigned.map(toAssignment) };
      }),

      heartbeat: guard(options, async (req, ctx) => {
        const owner = await serviceOf(ctx);
        const hb = req.heartbeat;
        if (hb === undefined) throw new ConnectError('heartbeat is required', Code.InvalidArgument);
        if (hb.meetingIds.length > MAX_REPORTED_MEETINGS) {
          throw new ConnectError('too many meeting ids', Code.InvalidArgument);
        }
        const id = parseControllerId(hb.controllerId);
        if (id === undefined) throw new ConnectError('controller_id is invalid', Code.InvalidArgument);
        const known = await registry.get(id);
        if (known === undefined) {
          return { reregister: true, heartbeatIntervalMs: registry.heartbeatIntervalMs, assignments: [] };
        }
        await registry.heartbeat({
          controllerId: id,
          owner,
          capacity: capacityOf(hb.capacity),
          health: healthOf(hb.health),
        });
        // Reconcile: meetings assigned here that the controller does not report (e.g. an AssignMeeting it missed).
        const hosted = new Set(hb.meetingIds.map((m) => parseMeetingId(m)).filter((m) => m !== undefined));
        const missing = (await meetings.activeOnController(id, MAX_HANDED_OUT)).filter(
          (m) => !hosted.has(m.id),
        );
        return {
          reregister: false,
          heartbeatIntervalMs: registry.heartbeatIntervalMs,
          assignments: missing.map(toAssignment),
        };
      }),

      deregisterMeetingController: guard(options, async (req, ctx) => {
        const owner = await serviceOf(ctx);
        await registry.deregister(req.controllerId, owner);
        return {};
      }),
    });
  };
}

function toAssignment(m: Meeting): ReturnType<typeof create<typeof AssignMeetingSchema>> {
  return create(AssignMeetingSchema, {
    meetingId: m.id,
    config: create(MeetingConfigSchema, {
      displayName: m.displayName,
      maxParticipants: m.maxParticipants,
      enableE2eEncryption: m.settings.enableE2eEncryption,
      recordingEnabled: m.settings.recordingEnabled,
      requireAuth: m.settings.requireAuth,
    }),
  });
}

function capacityOf(c: ProtoCapacity | undefined): ControllerCapacity {
  if (c === undefined) throw new ConnectError('capacity is required', Code.InvalidArgument);
  return {
    maxMeetings: c.maxMeetings,
    currentMeetings: c.currentMeetings,
    maxParticipants: c.maxParticipants,
    currentParticipants: c.currentParticipants,
  };
}

function healthOf(h: HealthStatus): ControllerHealth {
  switch (h) {
    case HealthStatus.HEALTHY:
      return 'healthy';
    case HealthStatus.DEGRADED:
      return 'degraded';
    case HealthStatus.UNHEALTHY:
      return 'unhealthy';
    default:
      throw new ConnectError('unknown health status', Code.InvalidArgument);
  }
}

const CONNECT_CODE: Record<GlobalErrorCode, Code> = {
  INVALID_REQUEST: Code.InvalidArgument,
  UNAUTHORIZED: Code.Unauthenticated,
  FORBIDDEN: Code.PermissionDenied,
  NOT_FOUND: Code.NotFound,
  MEETING_NOT_FOUND: Code.NotFound,
  CONFLICT: Code.AlreadyExists,
  PAYLOAD_TOO_LARGE: Code.ResourceExhausted,
  CAPACITY_EXCEEDED: Code.ResourceExhausted,
  RATE_LIMITED: Code.ResourceExhausted,
  INTERNAL_ERROR: Code.Internal,
  SERVICE_UNAVAILABLE: Code.Unavailable,
};

/** Typed errors become Connect errors with a matching code and the api-contracts code in metadata. */
function guard<I, O>(
  options: GlobalControllerRpcOptions,
  fn: (req: I, ctx: HandlerContext) => Promise<O>,
): (req: I, ctx: HandlerContext) => Promise<O> {
  return async (req, ctx) => {
    try {
      return await fn(req, ctx);
    } catch (error) {
      if (error instanceof ConnectError) throw error;
      if (isGlobalError(error)) {
        throw new ConnectError(error.message, CONNECT_CODE[error.code], { 'x-error-code': error.code });
      }
      if (isAuthError(error)) {
        const code = error.code === 'FORBIDDEN' ? Code.PermissionDenied : Code.Unauthenticated;
        throw new ConnectError(error.message, code, {
          'x-error-code': error.code,
          'x-error-reason': error.reason,
        });
      }
      options.onInternalError?.(error);
      throw new ConnectError('internal error', Code.Internal);
    }
  };
}
