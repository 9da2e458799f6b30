import {
  ConfigError,
  field,
  loadConfig,
  type ConfigOf,
  type LoadConfigOptions,
} from '@darktower/service-kit';

/** Media Handler settings; validated once at start, naming the bad key. */
export const mediaConfigSchema = {
  handlerId: field.string({ env: 'MH_HANDLER_ID', default: 'mh-local', pattern: /^[A-Za-z0-9._-]{1,64}$/ }),
  region: field.string({ env: 'MH_REGION', default: 'local' }),
  host: field.string({
    env: 'MH_HOST',
    default: '127.0.0.1',
    doc: 'listen address of every port (0.0.0.0 in a pod)',
  }),
  mediaPort: field.int({
    env: 'MH_MEDIA_PORT',
    default: 4434,
    min: 0,
    max: 65535,
    doc: 'WebTransport (UDP)',
  }),
  rpcPort: field.int({
    env: 'MH_RPC_PORT',
    default: 8084,
    min: 0,
    max: 65535,
    doc: 'MediaHandlerService (Connect) + WebSocket media fallback (TCP)',
  }),
  opsHost: field.string({ env: 'MH_OPS_HOST', default: '127.0.0.1' }),
  opsPort: field.int({
    env: 'MH_OPS_PORT',
    default: 9084,
    min: 0,
    max: 65535,
    doc: '/health /ready /metrics',
  }),
  publicHost: field.string({
    env: 'MH_PUBLIC_HOST',
    default: '127.0.0.1',
    doc: 'host name clients and peers reach this handler at (URLs handed out)',
  }),
  certPem: field.string({
    env: 'MH_CERT_PEM',
    optional: true,
    doc: 'PEM certificate; unset = dev certificate',
  }),
  keyPem: field.secret({ env: 'MH_KEY_PEM', optional: true }),
  meetingControllerUrls: field.list({
    env: 'MH_MEETING_CONTROLLER_URL',
    default: [],
    maxItems: 64,
    doc: 'MeetingControllerService URL(s) to register with, comma separated (a handler serves every controller of its region); empty = standalone',
  }),
  authJwksUrls: field.list({
    env: 'AUTH_JWKS_URLS',
    default: [],
    doc: 'Auth Controller JWKS for service tokens (RPC calls, cascade peers); empty = MH_SERVICE_SECRET or refuse all',
  }),
  authIssuers: field.list({ env: 'AUTH_ISSUERS', default: ['http://localhost:8080'] }),
  authAudience: field.string({ env: 'AUTH_AUDIENCE', default: 'darktower', minLength: 1 }),
  authTokenUrl: field.url({
    env: 'AUTH_TOKEN_URL',
    optional: true,
    protocols: ['http:', 'https:'],
    doc: "Auth Controller token endpoint (POST /v1/auth/service/token) for this handler's service tokens",
  }),
  clientId: field.string({
    env: 'MH_CLIENT_ID',
    optional: true,
    maxLength: 256,
    doc: 'OAuth client id of this handler (client credentials grant)',
  }),
  clientSecret: field.secret({ env: 'MH_CLIENT_SECRET', optional: true, doc: 'OAuth client secret' }),
  serviceSecret: field.secret({
    env: 'MH_SERVICE_SECRET',
    optional: true,
    doc: 'development only: accept "svc.<id>.<secret>" service tokens instead of JWTs',
  }),
  serviceToken: field.secret({
    env: 'MH_SERVICE_TOKEN',
    optional: true,
    doc: 'static bearer token for the Meeting Controller and cascade peers; overrides the client credentials (tests and development only)',
  }),
  maxBandwidthMbps: field.int({ env: 'MH_MAX_BANDWIDTH_MBPS', default: 1000, min: 1, max: 1_000_000 }),
  maxParticipants: field.int({ env: 'MH_MAX_PARTICIPANTS', default: 1000, min: 1, max: 1_000_000 }),
  maxStreams: field.int({ env: 'MH_MAX_STREAMS', default: 10_000, min: 1, max: 1_000_000 }),
  maxCascadeStreams: field.int({
    env: 'MH_MAX_CASCADE_STREAMS',
    default: 2000,
    min: 16,
    max: 100_000,
    doc: 'concurrent relayed streams one cascade link may carry in each direction (every meeting the two handlers share); a participant session is held to 32',
  }),
  queueFrames: field.int({ env: 'MH_QUEUE_FRAMES', default: 64, min: 2, max: 100_000 }),
  queueBytes: field.int({ env: 'MH_QUEUE_BYTES', default: 2 * 1024 * 1024, min: 64 * 1024, max: 1 << 30 }),
  maxPayloadBytes: field.int({
    env: 'MH_MAX_PAYLOAD_BYTES',
    default: 1024 * 1024,
    min: 1024,
    max: 4 * 1024 * 1024,
  }),
  datagramsPerSecond: field.int({ env: 'MH_DATAGRAMS_PER_SECOND', default: 2000, min: 1, max: 1_000_000 }),
  maxConnectionsPerIp: field.int({
    env: 'MH_MAX_CONNECTIONS_PER_IP',
    default: 64,
    min: 1,
    max: 1_000_000,
    doc: 'QUIC connections from one address (raise behind a NAT, and for load tests from one machine)',
  }),
  audioAsDatagrams: field.int({ env: 'MH_AUDIO_AS_DATAGRAMS', default: 0, min: 0, max: 1 }),
  authTimeout: field.duration({ env: 'MH_AUTH_TIMEOUT', default: '5s' }),
  tokenTtl: field.duration({ env: 'MH_TOKEN_TTL', default: '30s' }),
  keyframeInterval: field.duration({ env: 'MH_KEYFRAME_INTERVAL', default: '500ms' }),
  heartbeatInterval: field.duration({ env: 'MH_HEARTBEAT_INTERVAL', default: '5s' }),
  logLevel: field.string({
    env: 'MH_LOG_LEVEL',
    default: 'info',
    pattern: /^(trace|debug|info|warn|error|fatal|silent)$/,
  }),
};

export type MediaConfig = ConfigOf<typeof mediaConfigSchema>;

export function loadMediaConfig(options: LoadConfigOptions = { env: process.env }): MediaConfig {
  const loaded = loadConfig(mediaConfigSchema, options);
  // A handler's id is its service identity (cascade peers check the token's subject against it): without
  // MH_HANDLER_ID, a handler with its own client credentials is known by its client id.
  const config =
    (options.env?.MH_HANDLER_ID ?? '') === '' && loaded.clientId !== undefined
      ? { ...loaded, handlerId: loaded.clientId }
      : loaded;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(config.handlerId))
    throw ConfigError.invalid([
      {
        key: 'handlerId',
        origin: 'MH_CLIENT_ID',
        reason: 'is not usable as a handler id: set MH_HANDLER_ID',
      },
    ]);
  for (const url of config.meetingControllerUrls) {
    if (!['http:', 'https:'].includes(URL.parse(url)?.protocol ?? ''))
      throw ConfigError.invalid([
        {
          key: 'meetingControllerUrls',
          origin: 'MH_MEETING_CONTROLLER_URL',
          reason: `not an http(s) URL: ${url}`,
        },
      ]);
  }
  return config;
}
