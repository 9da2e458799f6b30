import { field, loadConfig, type ConfigOf, type LoadConfigOptions } from '@darktower/service-kit';
import { AuthControllerError } from './errors.ts';

/** Every setting of the Auth Controller, validated once at start (README has the table). */
export const authConfigSchema = {
  mode: field.enum(['development', 'production'], {
    env: 'NODE_ENV',
    default: 'development',
    doc: 'production refuses to start without a master key',
  }),
  logLevel: field.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    env: 'LOG_LEVEL',
    default: 'info',
  }),
  host: field.string({ env: 'AUTH_HOST', default: '127.0.0.1' }),
  port: field.int({ env: 'AUTH_PORT', default: 8081, min: 0, max: 65535 }),
  opsHost: field.string({ env: 'AUTH_OPS_HOST', default: '127.0.0.1' }),
  opsPort: field.int({ env: 'AUTH_OPS_PORT', default: 9081, min: 0, max: 65535 }),
  trustProxy: field.bool({
    env: 'AUTH_TRUST_PROXY',
    default: false,
    doc: 'use X-Forwarded-For for the client IP (behind a proxy only)',
  }),
  databaseUrl: field.url({ env: 'DATABASE_URL', optional: true, protocols: ['postgres:', 'postgresql:'] }),
  dataDir: field.string({
    env: 'DATA_DIR',
    default: './data',
    doc: 'PGlite data and the development master key',
  }),
  masterKey: field.secret({
    env: 'AUTH_MASTER_KEY',
    optional: true,
    minLength: 43,
    doc: 'base64 of 32 bytes',
  }),
  masterKeyFile: field.string({
    env: 'AUTH_MASTER_KEY_FILE',
    optional: true,
    doc: 'mounted secret holding the base64 master key',
  }),
  issuer: field.string({
    env: 'AUTH_ISSUER',
    default: 'http://localhost:8080',
    minLength: 1,
    maxLength: 512,
  }),
  audience: field.string({ env: 'AUTH_AUDIENCE', default: 'darktower', minLength: 1, maxLength: 256 }),
  userTokenTtl: field.duration({ env: 'AUTH_USER_TOKEN_TTL', default: '1h', min: '1m', max: '24h' }),
  serviceTokenTtl: field.duration({ env: 'AUTH_SERVICE_TOKEN_TTL', default: '2h', min: '1m', max: '24h' }),
  keyRotationPeriod: field.duration({
    env: 'AUTH_KEY_ROTATION_PERIOD',
    default: '7d',
    min: '1s',
    max: '365d',
  }),
  keyPrepublish: field.duration({
    env: 'AUTH_KEY_PREPUBLISH',
    default: '2h',
    min: '0s',
    max: '30d',
    doc: 'a scheduled successor key is published this long before it signs (longer than verifier JWKS caches)',
  }),
  keyRotationCheckInterval: field.duration({
    env: 'AUTH_KEY_ROTATION_CHECK_INTERVAL',
    default: '1m',
    min: '100ms',
    max: '1h',
  }),
  argon2MemoryKib: field.int({ env: 'AUTH_ARGON2_MEMORY_KIB', default: 19456, min: 1024, max: 4_194_304 }),
  argon2TimeCost: field.int({ env: 'AUTH_ARGON2_TIME_COST', default: 2, min: 1, max: 100 }),
  argon2Parallelism: field.int({ env: 'AUTH_ARGON2_PARALLELISM', default: 1, min: 1, max: 16 }),
  argon2MaxConcurrent: field.int({ env: 'AUTH_ARGON2_MAX_CONCURRENT', default: 4, min: 1, max: 256 }),
  argon2MaxQueued: field.int({ env: 'AUTH_ARGON2_MAX_QUEUED', default: 64, min: 0, max: 100_000 }),
  passwordMinLength: field.int({ env: 'AUTH_PASSWORD_MIN_LENGTH', default: 12, min: 8, max: 128 }),
  loginAccountFailures: field.int({ env: 'AUTH_LOGIN_ACCOUNT_FAILURES', default: 5, min: 1, max: 1000 }),
  loginAccountWindow: field.duration({ env: 'AUTH_LOGIN_ACCOUNT_WINDOW', default: '15m', min: '1s' }),
  loginLockout: field.duration({ env: 'AUTH_LOGIN_LOCKOUT', default: '15m', min: '1s' }),
  loginIpAttempts: field.int({ env: 'AUTH_LOGIN_IP_ATTEMPTS', default: 30, min: 1, max: 100_000 }),
  loginIpWindow: field.duration({ env: 'AUTH_LOGIN_IP_WINDOW', default: '1m', min: '1s' }),
  loginIpBlock: field.duration({ env: 'AUTH_LOGIN_IP_BLOCK', default: '5m', min: '1s' }),
  tokenIpRequests: field.int({
    env: 'AUTH_TOKEN_IP_REQUESTS',
    default: 600,
    min: 1,
    max: 1_000_000,
    doc: 'client-credentials requests per IP per minute',
  }),
  clientCacheTtl: field.duration({
    env: 'AUTH_CLIENT_CACHE_TTL',
    default: '30s',
    min: '0s',
    max: '10m',
    doc: 'how long a service client record is reused before the database is read again',
  }),
  redisUrl: field.url({ env: 'REDIS_URL', optional: true, protocols: ['redis:', 'rediss:'] }),
  bootstrapAdminClientId: field.string({
    env: 'AUTH_BOOTSTRAP_ADMIN_CLIENT_ID',
    optional: true,
    pattern: /^svc_[A-Za-z0-9_-]{16,64}$/,
  }),
  bootstrapAdminClientSecret: field.secret({
    env: 'AUTH_BOOTSTRAP_ADMIN_CLIENT_SECRET',
    optional: true,
    minLength: 32,
  }),
  maxBodyBytes: field.int({ env: 'AUTH_MAX_BODY_BYTES', default: 16_384, min: 1024, max: 1_048_576 }),
} as const;

export type AuthConfig = ConfigOf<typeof authConfigSchema>;

/** Loads and cross-checks the configuration; throws ConfigError / CONFIG_INVALID naming the bad key. */
export function loadAuthConfig(options: LoadConfigOptions = { env: process.env }): AuthConfig {
  const config = loadConfig(authConfigSchema, options);
  checkAuthConfig(config);
  return config;
}

export function checkAuthConfig(config: AuthConfig): void {
  const longest = Math.max(config.userTokenTtl, config.serviceTokenTtl);
  if (config.keyRotationPeriod < longest) {
    // A retired key stays published one period; a token must not outlive the key that verifies it.
    throw AuthControllerError.config('AUTH_KEY_ROTATION_PERIOD must be at least the longest token lifetime');
  }
  if (config.keyPrepublish >= config.keyRotationPeriod) {
    throw AuthControllerError.config('AUTH_KEY_PREPUBLISH must be shorter than AUTH_KEY_ROTATION_PERIOD');
  }
  if ((config.bootstrapAdminClientId === undefined) !== (config.bootstrapAdminClientSecret === undefined)) {
    throw AuthControllerError.config(
      'AUTH_BOOTSTRAP_ADMIN_CLIENT_ID and AUTH_BOOTSTRAP_ADMIN_CLIENT_SECRET go together',
    );
  }
}

/** Config for tests and embedding: defaults plus overrides, validated the same way. */
export function authConfig(
  overrides: Partial<Record<keyof typeof authConfigSchema, string>> = {},
): AuthConfig {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(overrides)) {
    const f = authConfigSchema[key as keyof typeof authConfigSchema];
    if (f.env !== undefined) env[f.env] = value;
  }
  return loadAuthConfig({ env });
}
