import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Scope } from '@darktower/auth-verifier';
import { toErrorReply, type Tracing } from '@darktower/service-kit';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RawServerDefault,
} from 'fastify';
import { GlobalError } from '../domain/errors.ts';
import type { Caller } from '../meetings/caller.ts';
import type { MeetingService } from '../meetings/meeting-service.ts';
import { decodeListCursor, encodeListCursor } from '../store/list-cursor.ts';
import { tenantFromHost } from '../tenants/tenant-host.ts';
import type { Tenant } from '../tenants/tenant.ts';
import type { TenantResolver } from '../tenants/tenant-resolver.ts';
import type { JoinTokenIssuer } from '../tokens/join-token-issuer.ts';
import { SCOPES, type Authenticator } from './authenticator.ts';
import type { MeetingMetrics } from './meeting-metrics.ts';
import { meetingInfoView, meetingUrl } from './meeting-views.ts';
import { buildOpenApiDocument } from './openapi.ts';
import type { RequestRateLimiter } from './rate-limit.ts';
import { ROUTE_SPECS } from './route-specs.ts';
import { toHttpError } from './to-http-error.ts';

export interface GlobalRoutesOptions {
  readonly meetings: MeetingService;
  readonly tenants: TenantResolver;
  readonly authenticator: Authenticator;
  readonly issuer: JoinTokenIssuer;
  /** Undefined disables rate limiting (not recommended outside tests). */
  readonly rateLimiter: RequestRateLimiter | undefined;
  readonly defaultRateLimitPerMinute: number;
  /** e.g. http://localhost:8080: meeting URLs are `<base>/m/<code>`. */
  readonly publicBaseUrl: string;
  /** e.g. darktower.example: acme.darktower.example is tenant acme. */
  readonly tenantBaseDomain: string | undefined;
  /** Mount points; default `/api/v1` and `/v1` (architecture.md). The OpenAPI document is served under the first. */
  readonly prefixes?: readonly string[];
  /** Largest request body for these routes (bytes); default 16 KiB. */
  readonly bodyLimit?: number;
  /** Each meeting operation runs in a span named as in architecture.md (`http_get_meeting_info`, ...). */
  readonly tracing?: Tracing;
  /** Meeting lifecycle counters. */
  readonly meetingMetrics?: MeetingMetrics;
}

type TypedApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

const DEFAULT_PAGE = 20;

/**
 * Binds the architecture.md log fields to the rest of this request's log lines (its completion line included) and
 * logs the event once.
 */
function logMeetingEvent(
  request: FastifyRequest,
  reply: FastifyReply,
  message: string | undefined,
  ids: { meeting_id: string; participant_id?: string },
): void {
  const log = request.log.child(ids);
  request.log = log;
  reply.log = log;
  if (message !== undefined) log.info(message);
}

/** A join without any body (no Content-Type, nothing sent) means `{}`: a signed-in user needs no fields. */
function emptyBodyIsEmptyObject(request: FastifyRequest, _reply: unknown, done: () => void): void {
  if (request.body === undefined && request.headers['content-type'] === undefined) request.body = {};
  done();
}

/**
 * Mounts the Global Controller REST API on a fastify app (the standalone service, or the one-command server that
 * also serves the Auth Controller and the web app). Everything stays inside an encapsulated plugin: the error
 * mapping, tenant resolution and rate limiting apply to these routes only.
 */
export async function registerGlobalRoutes(
  app: FastifyInstance,
  options: GlobalRoutesOptions,
): Promise<void> {
  const prefixes = options.prefixes ?? ['/api/v1', '/v1'];
  const tenantOf = new WeakMap<FastifyRequest, Tenant>();
  const tenant = (request: FastifyRequest): Tenant => {
    const t = tenantOf.get(request);
    if (t === undefined) throw GlobalError.internal('tenant not resolved');
    return t;
  };
  const caller = (request: FastifyRequest, scopes: readonly Scope[], optional = false): Promise<Caller> =>
    options.authenticator.authenticate(request.headers.authorization, tenant(request).slug, {
      requiredScopes: scopes,
      optional,
    });
  const tracing = options.tracing;
  const traced = <T>(name: string, fn: () => Promise<T>): Promise<T> =>
    tracing === undefined ? fn() : tracing.startActiveSpan(name, fn);
  const urlOf = (m: Parameters<typeof meetingUrl>[2]): string =>
    meetingUrl(options.publicBaseUrl, options.tenantBaseDomain, m);
  const openApi = buildOpenApiDocument({
    prefix: prefixes[0] ?? '/api/v1',
    serverUrl: options.publicBaseUrl,
  });

  await app.register((plain, _opts, done) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>() as unknown as TypedApp;
    scope.setErrorHandler((error, request, reply) => {
      const answer = toErrorReply(toHttpError(error));
      if (answer.internal) request.log.error({ err: error }, 'request failed');
      void reply.code(answer.status).headers(answer.headers).send(answer.body);
    });
    scope.addHook('onRequest', async (request, reply) => {
      const slug = tenantFromHost(request.headers.host, options.tenantBaseDomain);
      const t = await options.tenants.find(slug);
      const limiter = options.rateLimiter;
      if (limiter !== undefined) {
        // Requests for unknown tenants share one bucket per client, so random subdomains cannot dodge the limit.
        const decision = await limiter.consume(
          `${t?.slug ?? '?unknown'}:${request.ip}`,
          t?.rateLimitPerMinute ?? options.defaultRateLimitPerMinute,
        );
        void reply.headers({
          'x-ratelimit-limit': String(decision.limit),
          'x-ratelimit-remaining': String(decision.remaining),
          'x-ratelimit-reset': String(decision.resetAt),
        });
        if (!decision.allowed) {
          void reply.header('retry-after', String(decision.retryAfterSeconds));
          throw GlobalError.rateLimited(decision.retryAfterSeconds);
        }
      }
      if (t === undefined) throw GlobalError.notFound(`Tenant ${slug} does not exist`);
      tenantOf.set(request, t);
    });
    const bodyLimit = options.bodyLimit ?? 16 * 1024;

    for (const prefix of prefixes) {
      const r = ROUTE_SPECS;
      scope.post(
        `${prefix}${r.createMeeting.path}`,
        { schema: r.createMeeting.schema, bodyLimit },
        (request, reply) =>
          traced('http_create_meeting', async () => {
            const who = await caller(request, [SCOPES.userWrite]);
            const body = request.body;
            const s = body.settings;
            const created = await options.meetings.create(tenant(request), who, {
              displayName: body.display_name,
              ...(body.max_participants === undefined ? {} : { maxParticipants: body.max_participants }),
              settings: {
                ...(s?.enable_e2e_encryption === undefined
                  ? {}
                  : { enableE2eEncryption: s.enable_e2e_encryption }),
                ...(s?.require_auth === undefined ? {} : { requireAuth: s.require_auth }),
                ...(s?.recording_enabled === undefined ? {} : { recordingEnabled: s.recording_enabled }),
              },
            });
            options.meetingMetrics?.created.inc();
            logMeetingEvent(request, reply, 'meeting created', {
              meeting_id: created.meeting.id,
              participant_id: created.joinToken.participantIdentity,
            });
            options.meetingMetrics?.joinTokens.inc({ role: 'host', caller: 'user' });
            void reply.code(201);
            return {
              meeting_id: created.meeting.id,
              meeting_code: created.meeting.code,
              meeting_url: urlOf(created.meeting),
              join_token: created.joinToken.token,
              meeting_controller_url: created.controller.clientUrl,
              meeting_controller_region: created.controller.region,
              created_at: created.meeting.createdAt.toISOString(),
            };
          }),
      );

      scope.get(`${prefix}${r.getMeeting.path}`, { schema: r.getMeeting.schema }, (request, reply) =>
        traced('http_get_meeting_info', async () => {
          const t = tenant(request);
          const who = await caller(request, [SCOPES.userRead], true);
          const info = await options.meetings.get(t, request.params.id);
          logMeetingEvent(request, reply, undefined, { meeting_id: info.meeting.id });
          // Without a token only meetings open to guests are visible (the guest join page needs their name).
          if (who.kind === 'anonymous' && info.meeting.settings.requireAuth) throw GlobalError.unauthorized();
          return meetingInfoView(info, urlOf(info.meeting));
        }),
      );

      scope.get(`${prefix}${r.listMeetings.path}`, { schema: r.listMeetings.schema }, (request) =>
        traced('http_list_meetings', async () => {
          const who = await caller(request, [SCOPES.userRead]);
          const q = request.query;
          const page = await options.meetings.list(tenant(request), who, {
            ...(q.user_id === undefined ? {} : { userId: q.user_id }),
            ...(q.active === undefined ? {} : { active: q.active === 'true' }),
            ...(q.cursor === undefined ? {} : { after: decodeListCursor(q.cursor) }),
            limit: q.limit === undefined ? DEFAULT_PAGE : Number(q.limit),
          });
          return {
            meetings: page.meetings.map((m) => ({
              meeting_id: m.id,
              meeting_code: m.code,
              display_name: m.displayName,
              // Live counts belong to Meeting Controllers; listing does not fan out to them.
              participant_count: 0,
              created_at: m.createdAt.toISOString(),
              ended_at: m.endedAt?.toISOString() ?? null,
            })),
            total: page.total,
            next_cursor: page.next === undefined ? null : encodeListCursor(page.next),
          };
        }),
      );

      scope.delete(`${prefix}${r.endMeeting.path}`, { schema: r.endMeeting.schema }, (request, reply) =>
        traced('http_end_meeting', async () => {
          const who = await caller(request, [SCOPES.userWrite]);
          const ended = await options.meetings.end(tenant(request), who, request.params.id);
          options.meetingMetrics?.ended.inc();
          logMeetingEvent(request, reply, 'meeting ended', { meeting_id: ended.id });
          return {
            meeting_id: ended.id,
            status: 'ended' as const,
            ended_at: (ended.endedAt ?? new Date()).toISOString(),
          };
        }),
      );

      scope.post(
        `${prefix}${r.joinMeeting.path}`,
        { schema: r.joinMeeting.schema, bodyLimit, preValidation: emptyBodyIsEmptyObject },
        (request, reply) =>
          traced('http_join_meeting', async () => {
            const who = await caller(request, [SCOPES.userRead], true);
            const grant = await options.meetings.join(
              tenant(request),
              who,
              request.params.id,
              request.body.display_name,
            );
            options.meetingMetrics?.joinTokens.inc({
              role: grant.joinToken.role,
              caller: who.kind === 'user' ? 'user' : 'guest',
            });
            logMeetingEvent(request, reply, 'join token issued', {
              meeting_id: grant.meeting.id,
              participant_id: grant.joinToken.participantIdentity,
            });
            return {
              join_token: grant.joinToken.token,
              meeting_id: grant.meeting.id,
              meeting_controller_url: grant.controller.clientUrl,
              expires_at: grant.joinToken.expiresAt.toISOString(),
              participant_identity: grant.joinToken.participantIdentity,
              role: grant.joinToken.role,
            };
          }),
      );

      scope.get(`${prefix}${r.joinKeys.path}`, { schema: r.joinKeys.schema }, async (_request, reply) => {
        void reply.header('cache-control', 'public, max-age=300');
        return options.issuer.jwks();
      });
    }

    const first = prefixes[0] ?? '/api/v1';
    scope.get(`${first}/openapi.json`, (_request, reply) => reply.send(openApi));
    scope.get('/v1/health', (_request, reply) => reply.send({ status: 'ok' }));
    done();
  });
}
