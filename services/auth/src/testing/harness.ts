import { randomBytes } from 'node:crypto';
import { openDatabase, type Database } from '@darktower/data';
import { createLogger, createMetrics, type Logger, type Metrics, type Tracing } from '@darktower/service-kit';
import { buildAuthController, type AuthController } from '../auth-controller.ts';
import { authConfig, type AuthConfig, type authConfigSchema } from '../config.ts';
import type { AuthDatabase } from '../db/schema.ts';

export const TEST_ISSUER = 'https://auth.test.darktower';
export const TEST_AUDIENCE = 'darktower-test';
export const ADMIN_CLIENT_ID = 'svc_bootstrap_admin_test';

export interface Harness extends AsyncDisposable {
  readonly controller: AuthController;
  readonly config: AuthConfig;
  readonly adminSecret: string;
  /** Mutable test clock (ms). */
  clock: { now: number };
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** PostgreSQL URL; PGlite in memory when absent. */
  readonly databaseUrl?: string;
  readonly overrides?: Partial<Record<keyof typeof authConfigSchema, string>>;
  readonly database?: Database<AuthDatabase>;
  /** Defaults: a silent logger, a fresh `dt_` registry, tracing with exporter `none`. */
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly tracing?: Tracing;
}

/** A real Auth Controller with cheap argon2 parameters, a random master key and a bootstrap admin client. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const adminSecret = randomBytes(32).toString('base64url');
  const config = authConfig({
    masterKey: randomBytes(32).toString('base64'),
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    port: '0',
    opsPort: '0',
    logLevel: 'silent',
    argon2MemoryKib: '1024',
    argon2TimeCost: '1',
    bootstrapAdminClientId: ADMIN_CLIENT_ID,
    bootstrapAdminClientSecret: adminSecret,
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
    ...options.overrides,
  });
  const clock = { now: Date.now() };
  let database = options.database;
  let ownDb: Database<AuthDatabase> | undefined;
  if (database === undefined) {
    ownDb = await openDatabase<AuthDatabase>(
      options.databaseUrl === undefined ? {} : { url: options.databaseUrl },
    );
    database = ownDb;
  }
  const controller = await buildAuthController(config, {
    logger: options.logger ?? createLogger({ component: 'ac-test', level: 'silent' }),
    metrics: options.metrics ?? createMetrics({ prefix: 'dt_' }),
    ...(options.tracing === undefined ? {} : { tracing: options.tracing }),
    database,
    now: () => clock.now,
    rateLimitPrefix: `test:${randomBytes(6).toString('hex')}`,
  });
  const close = async (): Promise<void> => {
    await controller.close();
    await ownDb?.close();
  };
  return { controller, config, adminSecret, clock, close, [Symbol.asyncDispose]: close };
}
