import { fastifyConnectPlugin } from '@connectrpc/connect-fastify';
import { createTokenVerifier, type TokenVerifier } from '@darktower/auth-verifier';
import { migrate, openDatabase, type Database } from '@darktower/data';
import { Scope, type Logger, type Metrics, type ReadinessCheck, type Tracing } from '@darktower/service-kit';
import type { FastifyInstance } from 'fastify';
import type { GlobalConfig } from './config.ts';
import { AUTH_FAILURE_REASONS, Authenticator } from './http/authenticator.ts';
import { registerGlobalRoutes } from './http/global-routes.ts';
import { createMeetingMetrics } from './http/meeting-metrics.ts';
import { RequestRateLimiter } from './http/rate-limit.ts';
import { connectRedis, type RedisClient } from './kv/redis-client.ts';
import { MemorySharedCache, RedisSharedCache } from './kv/shared-cache.ts';
import { MeetingService } from './meetings/meeting-service.ts';
import { ControllerRegistry } from './registry/controller-registry.ts';
import { MeetingAssigner } from './registry/meeting-assigner.ts';
import { MemoryControllerStore } from './registry/memory-controller-store.ts';
import { RedisControllerStore } from './registry/redis-controller-store.ts';
import { globalControllerRoutes } from './rpc/global-controller-rpc.ts';
import { clientCredentialsTokenSource } from './rpc/client-credentials-token-source.ts';
import {
  ConnectMeetingControllerPeer,
  type MeetingControllerPeer,
  type ServiceTokenSource,
} from './rpc/meeting-controller-client.ts';
import { DbTracingPlugin } from './store/db-tracing-plugin.ts';
import { JoinKeyRepository } from './store/join-key-repository.ts';
import { MeetingRepository } from './store/meeting-repository.ts';
import { globalMigrations } from './store/migrations.ts';
import type { GlobalDatabase } from './store/schema.ts';
import { TenantRepository } from './store/tenant-repository.ts';
import { TenantResolver } from './tenants/tenant-resolver.ts';
import { joinSigningKeyFromPem } from './tokens/join-signing-key.ts';
import { JoinTokenIssuer } from './tokens/join-token-issuer.ts';

export interface GlobalModuleOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Replace the token verifier (e.g. the one-command server verifying with the Auth Controller's own keys). */
  readonly verifier?: TokenVerifier;
  /** Replace the Meeting Controller client (defaults to Connect over HTTP). */
  readonly peer?: MeetingControllerPeer;
  readonly signal?: AbortSignal;
  /** Spans for meeting operations and Meeting Controller calls (traceparent carried over the RPC). */
  readonly tracing?: Tracing;
}

/**
 * Everything of the Global Controller except its own HTTP servers: storage, registry, assignment, tokens. `mount`
 * adds the REST routes and the Connect RPC service to any fastify app; `close` releases it all.
 */
export interface GlobalModule extends AsyncDisposable {
  mount(app: FastifyInstance): Promise<void>;
  /** For /ready: database and Auth Controller JWKS reachable. */
  readonly readinessChecks: Readonly<Record<string, ReadinessCheck>>;
  readonly registry: ControllerRegistry;
  readonly tenants: TenantRepository;
  readonly database: Database<GlobalDatabase>;
  /** Moves meetings off dead controllers now (also runs on the sweep interval). */
  sweep(): Promise<number>;
  close(reason?: unknown): Promise<void>;
  readonly closed: Promise<void>;
}

export async function createGlobalModule(
  config: GlobalConfig,
  options: GlobalModuleOptions,
): Promise<GlobalModule> {
  const { logger, metrics } = options;
  const scope = new Scope({
    name: 'global-controller',
    onError: (error, name) => {
      logger.error({ err: error, scope: name }, 'cleanup failed');
    },
  });
  try {
    const database = await openDatabase<GlobalDatabase>({
      ...(config.databaseUrl === undefined ? {} : { url: config.databaseUrl }),
      ...(config.dataDir === undefined ? {} : { dataDir: config.dataDir }),
      logger,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    scope.defer(() => database.close());
    await migrate(database, { migrations: globalMigrations, table: 'global_migrations' });

    let redis: RedisClient | undefined;
    if (config.redisUrl !== undefined) {
      const client = await connectRedis(config.redisUrl, options.signal);
      redis = client;
      scope.defer(async () => {
        await client.close();
      });
    }
    const prefix = config.redisPrefix;

    const registry = new ControllerRegistry({
      store: redis === undefined ? new MemoryControllerStore() : new RedisControllerStore(redis, prefix),
      heartbeatTimeoutMs: config.heartbeatTimeout,
    });
    // Queries made inside a span (a request, an RPC) are spans of their own.
    const db =
      options.tracing === undefined
        ? database.db
        : database.db.withPlugin(new DbTracingPlugin(options.tracing));
    const meetingRepo = new MeetingRepository(db);
    const tenantRepo = new TenantRepository(db);
    const tenants = new TenantResolver({
      source: tenantRepo,
      cache: redis === undefined ? new MemorySharedCache() : new RedisSharedCache(redis, prefix),
    });
    const keys =
      config.joinTokenPrivateKey === undefined
        ? await new JoinKeyRepository(database.db).loadOrCreate()
        : [joinSigningKeyFromPem(config.joinTokenPrivateKey.reveal())];
    const issuer = new JoinTokenIssuer({
      keys,
      issuer: config.publicBaseUrl,
      ttlSeconds: Math.floor(config.joinTokenTtl / 1000),
    });
    const verifier =
      options.verifier ??
      createTokenVerifier({
        jwksUrls: config.authJwksUrls,
        issuer: config.authIssuers,
        audience: config.authAudience,
      });
    const authFailures = metrics.counter({
      name: 'auth_failures_total',
      help: 'Refused bearer tokens by reason (REST and RPC)',
      labelNames: ['reason'],
    });
    // Pre-create the series so rate() works from the first failure and dashboards show zeros.
    for (const reason of AUTH_FAILURE_REASONS) authFailures.inc({ reason }, 0);
    const authenticator = new Authenticator(verifier, {
      onFailure: (reason) => {
        authFailures.inc({ reason });
      },
    });
    const meetingMetrics = createMeetingMetrics(metrics);
    const mcRpcSeconds = metrics.histogram({
      name: 'mc_rpc_duration_seconds',
      help: 'Calls to Meeting Controllers by method and outcome',
      labelNames: ['method', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    const staticToken = config.mcServiceToken;
    const serviceToken: ServiceTokenSource | undefined =
      config.clientId !== undefined && config.clientSecret !== undefined
        ? clientCredentialsTokenSource({
            tokenUrl: config.authTokenUrl,
            clientId: config.clientId,
            clientSecret: config.clientSecret.reveal(),
            scope: config.mcTokenScope,
            ...(options.tracing === undefined ? {} : { tracing: options.tracing }),
          })
        : staticToken === undefined
          ? undefined
          : () => Promise.resolve(staticToken.reveal());
    const peer =
      options.peer ??
      new ConnectMeetingControllerPeer({
        timeoutMs: config.mcRpcTimeout,
        ...(serviceToken === undefined ? {} : { serviceToken }),
        ...(options.tracing === undefined ? {} : { tracing: options.tracing }),
        onCall: (method, outcome, seconds) => {
          mcRpcSeconds.observe({ method, outcome }, seconds);
        },
      });
    const assigner = new MeetingAssigner({
      registry,
      meetings: meetingRepo,
      peer,
      region: config.region,
      onWarning: (message, context) => {
        logger.warn(context, message);
      },
    });
    const meetings = new MeetingService({ meetings: meetingRepo, assigner, issuer, peer });
    const rateLimiter = new RequestRateLimiter({
      ...(redis === undefined ? {} : { redis }),
      keyPrefix: prefix,
    });

    const activeControllers = metrics.gauge({
      name: 'active_meeting_controllers',
      help: 'Meeting Controllers in rotation',
    });
    const moved = metrics.counter({
      name: 'meetings_reassigned_total',
      help: 'Meetings moved off dead controllers',
    });
    const sweep = async (): Promise<number> => {
      activeControllers.set(await registry.activeCount());
      const n = await assigner.sweep(100, scope.signal);
      if (n > 0) {
        moved.inc(n);
        logger.info({ moved: n }, 'moved meetings off dead meeting controllers');
      }
      return n;
    };
    let sweeping = false;
    const timer = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      sweep()
        .catch((error: unknown) => {
          if (!scope.isClosing) logger.warn({ err: error }, 'assignment sweep failed');
        })
        .finally(() => {
          sweeping = false;
        });
    }, config.sweepInterval);
    timer.unref();
    scope.defer(() => {
      clearInterval(timer);
    });

    const readinessChecks: Record<string, ReadinessCheck> = {
      database: (signal) => database.ping(signal),
      jwks: async (signal) => {
        const failed = await verifier.warm(signal);
        if (failed.length > 0) throw new Error(`JWKS unreachable: ${failed.join(', ')}`);
      },
      ...(redis === undefined
        ? {}
        : {
            redis: async () => {
              await redis.ping();
            },
          }),
    };

    const mount = async (app: FastifyInstance): Promise<void> => {
      await registerGlobalRoutes(app, {
        meetings,
        tenants,
        authenticator,
        issuer,
        rateLimiter,
        defaultRateLimitPerMinute: config.rateLimitPerMinute,
        publicBaseUrl: config.publicBaseUrl,
        tenantBaseDomain: config.tenantBaseDomain,
        ...(options.tracing === undefined ? {} : { tracing: options.tracing }),
        meetingMetrics,
      });
      await app.register(fastifyConnectPlugin, {
        routes: globalControllerRoutes({
          registry,
          meetings: meetingRepo,
          authenticator,
          onInternalError: (error) => {
            logger.error({ err: error }, 'rpc failed');
          },
        }),
        // The RPC surface is small; a registration or heartbeat never needs more.
        readMaxBytes: 256 * 1024,
      });
    };

    return {
      mount,
      readinessChecks,
      registry,
      tenants: tenantRepo,
      database,
      sweep,
      close: (reason?: unknown) => scope.close(reason),
      get closed() {
        return scope.closed;
      },
      [Symbol.asyncDispose]: () => scope.close(),
    };
  } catch (error) {
    await scope.close(error);
    throw error;
  }
}
