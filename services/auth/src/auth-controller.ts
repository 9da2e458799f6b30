import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { createClient } from 'redis';
import { createTokenVerifier, toScope, type Scope } from '@darktower/auth-verifier';
import { migrate, openDatabase, type Database } from '@darktower/data';
import {
  createHttpApp,
  createLogger,
  createMetrics,
  createOpsServer,
  createTracing,
  Scope as LifetimeScope,
  type BoundAddress,
  type HttpApp,
  type Logger,
  type Metrics,
  type OpsServer,
  type Tracing,
} from '@darktower/service-kit';
import { AuditLog } from './audit/audit-log.ts';
import { createAuthMetrics, type AuthMetrics } from './auth-metrics.ts';
import { AuthService } from './auth-service.ts';
import type { AuthConfig } from './config.ts';
import { checkAuthConfig } from './config.ts';
import { ClientsRepo } from './db/clients-repo.ts';
import { migrations, MIGRATIONS_TABLE } from './db/migrations.ts';
import type { AuthDatabase } from './db/schema.ts';
import { UsersRepo } from './db/users-repo.ts';
import { authRoutes } from './http/auth-routes.ts';
import type { AuthRouteDeps } from './http/route-deps.ts';
import { KeyManager } from './keys/key-manager.ts';
import { resolveMasterKey } from './keys/master-key.ts';
import { PasswordHasher } from './passwords/password-hasher.ts';
import { IpLimiter } from './rate-limit/ip-limiter.ts';
import { LoginGuard } from './rate-limit/login-guard.ts';
import { ALL_SERVICE_SCOPES } from './scope-policy.ts';
import { TokenIssuer } from './tokens/token-issuer.ts';

export interface AuthControllerDeps {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** An already open database (the one-origin mode shares one PGlite); the caller closes it. */
  readonly database?: Database<AuthDatabase>;
  /** Milliseconds since the epoch; injectable for rotation tests. */
  readonly now?: () => number;
  /** Key prefix for the rate limiter store (tests sharing one Redis use their own). */
  readonly rateLimitPrefix?: string;
  /**
   * Spans of this service (main.ts builds it from OTEL_TRACES_EXPORTER and friends): one server span per request
   * continuing the caller's `traceparent`, with `password_verify` / `password_hash` / `sign_token` children.
   * Default: exporter `none` (ids for propagation and log correlation, nothing exported), closed with the controller.
   * Give the logger `traceIds: () => tracing.activeIds()` of the same tracing so log lines carry the ids.
   */
  readonly tracing?: Tracing;
}

export interface AuthControllerAddresses {
  readonly http: BoundAddress;
  readonly ops: BoundAddress;
}

export interface AuthController extends AsyncDisposable {
  /** The fastify app serving the auth routes (use `app.inject()` in tests). */
  readonly app: HttpApp;
  /** The same routes as a plugin, to mount on another app (one-origin mode): `await other.register(ctrl.routes)`. */
  readonly routes: FastifyPluginAsync;
  readonly service: AuthService;
  readonly keys: KeyManager;
  readonly audit: AuditLog;
  readonly metrics: AuthMetrics;
  readonly database: Database<AuthDatabase>;
  /** Readiness: database reachable and an active signing key present. */
  ready(signal?: AbortSignal): Promise<void>;
  /** Binds the API and ops servers (config host/port; port 0 picks a free one). */
  listen(): Promise<AuthControllerAddresses>;
  /** Idempotent. */
  close(reason?: unknown): Promise<void>;
  readonly closed: Promise<void>;
}

/**
 * Builds the Auth Controller: opens the database (PostgreSQL when DATABASE_URL is set, PGlite under DATA_DIR
 * otherwise), migrates, loads or creates the signing key, and wires the routes. Nothing listens until `listen()`.
 */
export async function buildAuthController(
  config: AuthConfig,
  deps: AuthControllerDeps = {},
): Promise<AuthController> {
  checkAuthConfig(config);
  const ownTracing = deps.tracing === undefined;
  const tracing = deps.tracing ?? createTracing({ serviceName: 'ac-service', exporter: 'none' });
  const logger =
    deps.logger ??
    createLogger({ component: 'ac-service', level: config.logLevel, traceIds: () => tracing.activeIds() });
  const metrics =
    deps.metrics ?? createMetrics({ prefix: 'dt_', defaultLabels: { service: 'ac' }, processMetrics: true });
  const now = deps.now ?? Date.now;
  const lifetime = new LifetimeScope({
    name: 'auth-controller',
    onError: (err, scope) => {
      logger.error({ err, scope }, 'cleanup failed');
    },
  });
  if (ownTracing) lifetime.defer(() => tracing.close());
  try {
    // Fails before touching the database when production has no master key.
    const masterKey = resolveMasterKey({
      value: config.masterKey?.reveal(),
      file: config.masterKeyFile,
      production: config.mode === 'production',
      dataDir: config.dataDir,
      warn: (message) => {
        logger.warn(message);
      },
    });

    let database = deps.database;
    if (database === undefined) {
      const opened = await openDatabase<AuthDatabase>(
        config.databaseUrl === undefined
          ? { dataDir: join(config.dataDir, 'pglite'), logger }
          : { url: config.databaseUrl, logger },
      );
      lifetime.defer(() => opened.close());
      database = opened;
      if (opened.kind === 'pglite')
        logger.info({ dataDir: config.dataDir }, 'DATABASE_URL not set: using embedded PGlite');
    }
    const migrated = await migrate(database, { migrations, table: MIGRATIONS_TABLE });
    if (migrated.applied.length > 0) logger.info({ applied: migrated.applied }, 'database migrated');

    const authMetrics = createAuthMetrics(metrics);
    const audit = new AuditLog(database.db, (err) => {
      logger.error({ err }, 'audit log write failed');
    });
    lifetime.defer(() => audit.close());
    const keys = new KeyManager({
      database,
      masterKey,
      audit,
      rotationPeriodMs: config.keyRotationPeriod,
      prepublishMs: config.keyPrepublish,
      checkIntervalMs: config.keyRotationCheckInterval,
      now,
      onError: (err) => {
        logger.error({ err }, 'key rotation check failed');
      },
      onRotated: (kid, reason) => {
        authMetrics.keyRotations.inc({ reason });
        logger.info({ kid, reason }, 'signing key rotated');
      },
    });
    lifetime.defer(() => keys.close());
    await keys.start();

    let redis: unknown;
    if (config.redisUrl !== undefined) {
      const client = createClient({ url: config.redisUrl });
      client.on('error', (err: unknown) => {
        logger.warn({ err }, 'redis error');
      });
      await client.connect();
      lifetime.defer(async () => {
        await client.close();
      });
      redis = client;
    }
    const prefix = deps.rateLimitPrefix ?? 'dt:auth';
    const guard = new LoginGuard({
      accountFailures: config.loginAccountFailures,
      accountWindowSec: Math.ceil(config.loginAccountWindow / 1000),
      accountLockoutSec: Math.ceil(config.loginLockout / 1000),
      ipAttempts: config.loginIpAttempts,
      ipWindowSec: Math.ceil(config.loginIpWindow / 1000),
      ipBlockSec: Math.ceil(config.loginIpBlock / 1000),
      redis,
      keyPrefix: prefix,
    });
    const tokenLimiter = new IpLimiter({
      name: 'token-ip',
      points: config.tokenIpRequests,
      durationSec: 60,
      redis,
      keyPrefix: prefix,
    });
    const registerLimiter = new IpLimiter({
      name: 'register-ip',
      points: 20,
      durationSec: 60,
      redis,
      keyPrefix: prefix,
    });

    const hasher = new PasswordHasher(
      {
        memoryCostKiB: config.argon2MemoryKib,
        timeCost: config.argon2TimeCost,
        parallelism: config.argon2Parallelism,
      },
      { maxConcurrent: config.argon2MaxConcurrent, maxQueued: config.argon2MaxQueued },
    );
    const issuer = new TokenIssuer({
      issuer: config.issuer,
      audience: config.audience,
      userTokenTtlSec: Math.floor(config.userTokenTtl / 1000),
      serviceTokenTtlSec: Math.floor(config.serviceTokenTtl / 1000),
      signingKey: () => keys.signingKey(),
      now,
    });
    const service = new AuthService({
      users: new UsersRepo(database.db),
      clients: new ClientsRepo(database.db, { cacheTtlMs: config.clientCacheTtl, now }),
      hasher,
      issuer,
      keys,
      guard,
      audit,
      metrics: authMetrics,
      passwordMinLength: config.passwordMinLength,
      tracing,
    });
    if (config.bootstrapAdminClientId !== undefined && config.bootstrapAdminClientSecret !== undefined) {
      const adminScopes = ALL_SERVICE_SCOPES.map((s) => toScope(s)).filter(
        (s): s is Scope => s !== undefined,
      );
      await service.ensureBootstrapAdmin({
        clientId: config.bootstrapAdminClientId,
        name: 'bootstrap-admin',
        secret: config.bootstrapAdminClientSecret.reveal(),
        scopes: adminScopes,
      });
      logger.info({ client_id: config.bootstrapAdminClientId }, 'bootstrap admin client ensured');
    }

    const verifier = createTokenVerifier({
      keySource: keys,
      issuer: config.issuer,
      audience: config.audience,
      now,
    });
    const routeDeps: AuthRouteDeps = {
      service,
      keys,
      verifier,
      metrics: authMetrics,
      tokenLimiter,
      registerLimiter,
      bodyLimit: config.maxBodyBytes,
    };
    const routes = authRoutes(routeDeps);
    const app = createHttpApp({
      logger,
      metrics,
      bodyLimit: config.maxBodyBytes,
      trustProxy: config.trustProxy,
      tracing,
    });
    await app.register(routes);
    await app.ready();
    lifetime.defer(() => app.close());

    const db = database;
    const ready = async (signal?: AbortSignal): Promise<void> => {
      await db.ping(signal);
      if (!keys.hasActiveKey()) throw new Error('no active signing key');
    };
    let ops: OpsServer | undefined;

    return {
      app,
      routes,
      service,
      keys,
      audit,
      metrics: authMetrics,
      database,
      ready,
      async listen(): Promise<AuthControllerAddresses> {
        await app.listen({ host: config.host, port: config.port });
        const address = app.server.address();
        const port = typeof address === 'object' && address !== null ? address.port : config.port;
        ops ??= createOpsServer({
          host: config.opsHost,
          port: config.opsPort,
          logger,
          metrics,
          checks: {
            database: (signal) => db.ping(signal),
            signing_key: () =>
              keys.hasActiveKey() ? Promise.resolve() : Promise.reject(new Error('no active signing key')),
          },
        });
        const opsServer = ops;
        lifetime.defer(() => opsServer.close());
        const opsAddress = await opsServer.listen();
        const http = {
          host: config.host,
          port,
          url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
        };
        logger.info({ http: http.url, ops: opsAddress.url }, 'auth controller listening');
        return { http, ops: opsAddress };
      },
      close: (reason?: unknown) => {
        ops?.drain();
        return lifetime.close(reason);
      },
      get closed() {
        return lifetime.closed;
      },
      [Symbol.asyncDispose]: () => lifetime.close(),
    };
  } catch (err) {
    await lifetime.close(err);
    throw err;
  }
}
