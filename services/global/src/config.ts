import { field, loadConfig, type ConfigOf, type LoadConfigOptions } from '@darktower/service-kit';

/** Global Controller settings; validated once at start, naming the bad key. */
export const globalConfigSchema = {
  host: field.string({ env: 'GC_HOST', default: '127.0.0.1', doc: 'API listen address (0.0.0.0 in a pod)' }),
  port: field.int({
    env: 'GC_PORT',
    default: 8081,
    min: 0,
    max: 65535,
    doc: 'API port (REST + internal Connect RPC)',
  }),
  trustProxy: field.bool({
    env: 'GC_TRUST_PROXY',
    default: false,
    doc: 'take the client address from X-Forwarded-For (behind a load balancer): rate limits are per client',
  }),
  opsHost: field.string({ env: 'GC_OPS_HOST', default: '127.0.0.1' }),
  opsPort: field.int({
    env: 'GC_OPS_PORT',
    default: 9081,
    min: 0,
    max: 65535,
    doc: '/health /ready /metrics',
  }),
  databaseUrl: field.url({
    env: 'DATABASE_URL',
    optional: true,
    protocols: ['postgres:', 'postgresql:'],
    doc: 'PostgreSQL; unset = embedded PGlite',
  }),
  dataDir: field.string({
    env: 'GC_DATA_DIR',
    optional: true,
    doc: 'PGlite data directory; unset = in memory',
  }),
  redisUrl: field.url({
    env: 'REDIS_URL',
    optional: true,
    protocols: ['redis:', 'rediss:'],
    doc: 'Redis for liveness, tenant cache, rate limits; unset = in process (one instance only)',
  }),
  redisPrefix: field.string({ env: 'GC_REDIS_PREFIX', default: 'dt:gc:', maxLength: 64 }),
  authJwksUrls: field.list({
    env: 'AUTH_JWKS_URLS',
    default: ['http://localhost:8080/.well-known/jwks.json'],
    doc: 'JWKS of every trusted Auth Controller (comma-separated)',
  }),
  authIssuers: field.list({
    env: 'AUTH_ISSUERS',
    default: ['http://localhost:8080'],
    doc: 'accepted token issuers',
  }),
  authAudience: field.string({ env: 'AUTH_AUDIENCE', default: 'darktower', minLength: 1 }),
  publicBaseUrl: field.url({
    env: 'PUBLIC_BASE_URL',
    default: 'http://localhost:8080',
    protocols: ['http:', 'https:'],
    doc: 'web app origin: meeting_url is <base>/m/<code>; also the join-token issuer',
  }),
  tenantBaseDomain: field.string({
    env: 'TENANT_BASE_DOMAIN',
    optional: true,
    pattern: /^[a-z0-9.-]{1,200}$/,
    doc: 'acme.<domain> is tenant acme',
  }),
  region: field.string({ env: 'REGION', default: 'local', pattern: /^[a-z0-9][a-z0-9-]{0,62}$/ }),
  rateLimitPerMinute: field.int({ env: 'RATE_LIMIT_PER_MINUTE', default: 100, min: 1, max: 10_000_000 }),
  heartbeatTimeout: field.duration({ env: 'MC_HEARTBEAT_TIMEOUT', default: '15s', min: '300ms', max: '10m' }),
  sweepInterval: field.duration({ env: 'GC_SWEEP_INTERVAL', default: '5s', min: '100ms', max: '10m' }),
  joinTokenTtl: field.duration({ env: 'JOIN_TOKEN_TTL', default: '5m', min: '10s', max: '1h' }),
  joinTokenPrivateKey: field.secret({
    env: 'JOIN_TOKEN_PRIVATE_KEY',
    optional: true,
    doc: 'Ed25519 PKCS#8 PEM; unset = a key shared through the database',
  }),
  mcServiceToken: field.secret({
    env: 'GC_MC_SERVICE_TOKEN',
    optional: true,
    doc: 'bearer token presented to Meeting Controllers',
  }),
  authTokenUrl: field.url({
    env: 'AUTH_TOKEN_URL',
    default: 'http://localhost:8080/v1/auth/service/token',
    protocols: ['http:', 'https:'],
    doc: 'client-credentials endpoint for the token presented to Meeting Controllers',
  }),
  clientId: field.string({ env: 'GC_CLIENT_ID', optional: true, maxLength: 256 }),
  clientSecret: field.secret({ env: 'GC_CLIENT_SECRET', optional: true }),
  mcTokenScope: field.string({ env: 'GC_MC_TOKEN_SCOPE', default: 'service.write.mc', maxLength: 256 }),
  mcRpcTimeout: field.duration({ env: 'GC_MC_RPC_TIMEOUT', default: '3s', min: '50ms', max: '1m' }),
  logLevel: field.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
    env: 'LOG_LEVEL',
    default: 'info',
  }),
} as const;

export type GlobalConfig = ConfigOf<typeof globalConfigSchema>;

export function loadGlobalConfig(options: LoadConfigOptions = { env: process.env }): GlobalConfig {
  return loadConfig(globalConfigSchema, options);
}
