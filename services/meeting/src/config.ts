import { field, loadConfig, type ConfigOf, type LoadConfigOptions } from '@darktower/service-kit';

/** Meeting Controller settings; validated once at start, naming the bad key. */
export const meetingConfigSchema = {
  controllerId: field.string({
    env: 'MC_ID',
    optional: true,
    pattern: /^[A-Za-z0-9_.:-]{1,128}$/,
    doc: 'stable controller id (default: a random one per start)',
  }),
  region: field.string({ env: 'REGION', default: 'local', pattern: /^[a-z0-9][a-z0-9-]{0,62}$/ }),
  host: field.string({ env: 'MC_HOST', default: '127.0.0.1', doc: 'listen address (0.0.0.0 in a pod)' }),
  port: field.int({
    env: 'MC_PORT',
    default: 4433,
    min: 0,
    max: 65535,
    doc: 'WebTransport (QUIC, UDP) signaling',
  }),
  wsPort: field.int({
    env: 'MC_WS_PORT',
    default: 4434,
    min: 0,
    max: 65535,
    doc: 'WebSocket fallback signaling',
  }),
  rpcPort: field.int({ env: 'MC_RPC_PORT', default: 50052, min: 0, max: 65535, doc: 'Connect RPC' }),
  opsHost: field.string({ env: 'MC_OPS_HOST', default: '127.0.0.1' }),
  opsPort: field.int({
    env: 'MC_OPS_PORT',
    default: 9082,
    min: 0,
    max: 65535,
    doc: '/health /ready /metrics',
  }),
  publicUrl: field.url({
    env: 'MC_PUBLIC_URL',
    optional: true,
    protocols: ['https:'],
    doc: 'WebTransport URL clients are given (default https://<host>:<port>)',
  }),
  rpcPublicUrl: field.url({
    env: 'MC_RPC_PUBLIC_URL',
    optional: true,
    protocols: ['http:', 'https:'],
    doc: 'Connect URL the Global Controller and media handlers call (default http://<host>:<rpcPort>)',
  }),
  tlsCertFile: field.string({
    env: 'MC_TLS_CERT_FILE',
    optional: true,
    doc: 'PEM; unset = a dev certificate',
  }),
  tlsKeyFile: field.string({ env: 'MC_TLS_KEY_FILE', optional: true }),
  redisUrl: field.url({
    env: 'REDIS_URL',
    optional: true,
    protocols: ['redis:', 'rediss:'],
    doc: 'meeting state shared by controllers; unset = in process (one controller)',
  }),
  redisCluster: field.bool({
    env: 'REDIS_CLUSTER',
    default: false,
    doc: 'REDIS_URL is a seed node of a Redis Cluster (the other nodes are discovered)',
  }),
  redisPrefix: field.string({ env: 'MC_REDIS_PREFIX', default: 'dt:mc:', maxLength: 64 }),
  gcRpcUrl: field.url({
    env: 'GC_RPC_URL',
    optional: true,
    protocols: ['http:', 'https:'],
    doc: 'Global Controller Connect URL; unset = no registration (standalone)',
  }),
  gcServiceToken: field.secret({
    env: 'MC_GC_SERVICE_TOKEN',
    optional: true,
    doc: 'static bearer token for the GC and media handlers; overrides the client credentials (tokens expire: tests and development only)',
  }),
  authTokenUrl: field.url({
    env: 'AUTH_TOKEN_URL',
    optional: true,
    protocols: ['http:', 'https:'],
    doc: "Auth Controller token endpoint (POST /v1/auth/service/token) for this controller's service tokens",
  }),
  clientId: field.string({
    env: 'MC_CLIENT_ID',
    optional: true,
    maxLength: 256,
    doc: 'OAuth client id of this controller (client credentials grant)',
  }),
  clientSecret: field.secret({ env: 'MC_CLIENT_SECRET', optional: true, doc: 'OAuth client secret' }),
  joinTokenJwksUrl: field.url({
    env: 'JOIN_TOKEN_JWKS_URL',
    default: 'http://localhost:8081/api/v1/join-keys.json',
    protocols: ['http:', 'https:'],
    doc: 'JWKS of the Global Controller join-token keys',
  }),
  joinTokenIssuers: field.list({
    env: 'JOIN_TOKEN_ISSUERS',
    default: ['http://localhost:8080'],
    doc: 'accepted join-token issuers',
  }),
  rpcJwksUrls: field.list({
    env: 'AUTH_JWKS_URLS',
    default: [],
    doc: 'Auth Controller JWKS for service tokens on incoming RPC; empty = RPC unauthenticated (development only)',
  }),
  rpcIssuers: field.list({ env: 'AUTH_ISSUERS', default: ['http://localhost:8080'] }),
  rpcAudience: field.string({ env: 'AUTH_AUDIENCE', default: 'darktower', minLength: 1 }),
  maxMeetings: field.int({ env: 'MC_MAX_MEETINGS', default: 1000, min: 1, max: 1_000_000 }),
  maxParticipants: field.int({ env: 'MC_MAX_PARTICIPANTS', default: 100, min: 1, max: 10_000 }),
  handlerMeetingCap: field.int({
    env: 'MC_MEETING_PARTICIPANTS_PER_HANDLER',
    default: 0,
    min: 0,
    max: 10_000,
    doc: 'participants of one meeting per media handler before the meeting spreads (cascading); 0 = by load only',
  }),
  maxConnections: field.int({
    env: 'MC_MAX_CONNECTIONS',
    default: 10_000,
    min: 1,
    max: 1_000_000,
    doc: 'signaling connections per transport (QUIC, WebSocket)',
  }),
  maxConnectionsPerIp: field.int({
    env: 'MC_MAX_CONNECTIONS_PER_IP',
    default: 64,
    min: 1,
    max: 1_000_000,
    doc: 'signaling connections from one address (raise behind a NAT or load balancer, and for load tests)',
  }),
  maxMessageSize: field.int({ env: 'MC_MAX_MESSAGE_SIZE', default: 65_536, min: 1024, max: 1_048_576 }),
  rateLimitPerMinute: field.int({ env: 'MC_RATE_LIMIT_PER_MINUTE', default: 1000, min: 1, max: 1_000_000 }),
  heartbeatInterval: field.duration({
    env: 'MC_HEARTBEAT_INTERVAL',
    default: '15s',
    min: '100ms',
    max: '5m',
  }),
  sessionTtl: field.duration({ env: 'MC_SESSION_TTL', default: '5m', min: '1s', max: '1h' }),
  handlerTimeout: field.duration({ env: 'MC_HANDLER_TIMEOUT', default: '15s', min: '300ms', max: '10m' }),
  handlerProbeInterval: field.duration({
    env: 'MC_HANDLER_PROBE_INTERVAL',
    default: '200ms',
    min: '20ms',
    max: '1m',
    doc: 'how often each media handler is health-checked (a refused connection fails it over at once)',
  }),
  handlerProbeTimeout: field.duration({
    env: 'MC_HANDLER_PROBE_TIMEOUT',
    default: '500ms',
    min: '20ms',
    max: '1m',
    doc: 'a health check unanswered this long counts as a miss; 3 misses in a row fail the handler over',
  }),
  speakerInterval: field.duration({
    env: 'MC_SPEAKER_INTERVAL',
    default: '250ms',
    min: '50ms',
    max: '10s',
    doc: 'how often the active speaker is re-evaluated between audio level reports',
  }),
  sweepInterval: field.duration({ env: 'MC_SWEEP_INTERVAL', default: '5s', min: '50ms', max: '1m' }),
  logLevel: field.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
    env: 'LOG_LEVEL',
    default: 'info',
  }),
} as const;

export type MeetingConfig = ConfigOf<typeof meetingConfigSchema>;

export function loadMeetingConfig(options: LoadConfigOptions = { env: process.env }): MeetingConfig {
  return loadConfig(meetingConfigSchema, options);
}
