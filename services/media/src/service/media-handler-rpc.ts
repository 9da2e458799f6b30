import { Code, ConnectError, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import { MediaHandlerService } from '@darktower/protocol';
import type { ServiceTokenVerifier } from '../auth.ts';
import { isMediaError, type MediaErrorCode } from '../errors.ts';
import type { MediaHandlerCore } from '../media-handler.ts';

function codeOf(code: MediaErrorCode): Code {
  switch (code) {
    case 'INVALID_REQUEST':
    case 'INVALID_STREAM_FORMAT':
      return Code.InvalidArgument;
    case 'UNAUTHORIZED':
      return Code.Unauthenticated;
    case 'FORBIDDEN':
      return Code.PermissionDenied;
    case 'CAPACITY_EXCEEDED':
    case 'RATE_LIMITED':
      return Code.ResourceExhausted;
    case 'TIMEOUT':
      return Code.DeadlineExceeded;
    case 'CONFLICT':
      return Code.FailedPrecondition;
    case 'NOT_FOUND':
      return Code.NotFound;
    case 'INTERNAL_ERROR':
      return Code.Internal;
    default: {
      const never: never = code;
      return never;
    }
  }
}

function toConnect(error: unknown, onInternalError?: (error: unknown) => void): ConnectError {
  if (isMediaError(error))
    return new ConnectError(error.message, codeOf(error.code), { 'x-error-code': error.code });
  if (error instanceof ConnectError) return error;
  // The caller learns only that it failed; the handler's log has what failed.
  onInternalError?.(error);
  return new ConnectError('internal error', Code.Internal);
}

/**
 * MediaHandlerService (api-contracts.md 4) for Meeting Controllers. Every call carries a service bearer token; the
 * same verifier decides cascade sessions.
 */
export function mediaHandlerRoutes(
  core: MediaHandlerCore,
  tokens: ServiceTokenVerifier,
  /** Called with every error that is not one of ours (answered as a bare `internal error`). */
  onInternalError?: (error: unknown) => void,
): (router: ConnectRouter) => void {
  const authorize = async (ctx: HandlerContext): Promise<void> => {
    const header = ctx.requestHeader.get('authorization') ?? '';
    const match = /^Bearer ([\x21-\x7e]{1,8192})$/.exec(header);
    if (match?.[1] === undefined) throw new ConnectError('service token required', Code.Unauthenticated);
    await tokens.verify(match[1], ctx.signal);
  };
  const guard =
    <Req, Res>(fn: (req: Req, ctx: HandlerContext) => Res | Promise<Res>) =>
    async (req: Req, ctx: HandlerContext): Promise<Res> => {
      try {
        await authorize(ctx);
        return await fn(req, ctx);
      } catch (error) {
        throw toConnect(error, onInternalError);
      }
    };
  return (router) => {
    router.service(MediaHandlerService, {
      registerParticipant: guard((req) => core.registerParticipant(req)),
      unregisterParticipant: guard((req) => ({
        routesRemoved: core.unregisterParticipant(req.meetingId, req.participantId),
      })),
      routeMedia: guard((req) => core.routeMedia(req)),
      setupCascade: guard(async (req, ctx) => ({ cascadeId: await core.setupCascade(req, ctx.signal) })),
      requestKeyframe: guard((req) => ({ forwarded: core.requestKeyframe(req.request?.streamId ?? '') })),
      getStats: guard((req) => core.stats(req.meetingId)),
    });
  };
}
