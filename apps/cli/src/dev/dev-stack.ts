// The whole platform in one process with embedded defaults (what `npm start` runs): the Auth and Global
// Controllers and the web app on one HTTP origin, a Meeting Controller and a Media Handler on their own
// WebTransport (UDP) ports, embedded PostgreSQL (PGlite) under the data folder, in-process state instead of
// Redis, and self-minted development certificates whose hashes the page reads from /api/v1/dev/transport.
// The services are the same code that runs as separate processes in production.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildAuthController, loadAuthConfig, type AuthController } from '@darktower/auth';
import { createTokenVerifier, toScope, type Scope } from '@darktower/auth-verifier';
import { openDatabase, type Database } from '@darktower/data';
import { createGlobalModule, loadGlobalConfig, type GlobalModule } from '@darktower/global';
import { buildMediaHandler, loadMediaConfig, type MediaHandler } from '@darktower/media';
import { buildMeetingController, loadMeetingConfig, type MeetingController } from '@darktower/meeting';
import {
  createHttpApp,
  createLogger,
  createMetrics,
  createTracing,
  traceExporterFromEnv,
  type Logger,
} from '@darktower/service-kit';
import { freePort } from './free-port.ts';
import { mountWebApp } from './web-static.ts';

export interface DevStackOptions {
  /** HTTP port of the origin (web app + REST APIs); 0 picks a free one. Default 8080. */
  port?: number;
  /** Listen address for every port. Default 127.0.0.1 (this machine only). */
  host?: string;
  /** Where PGlite and the dev master key live; kept across restarts. Default ./data. */
  dataDir?: string;
  /** Built web app. Default apps/web/dist of this checkout. */
  webDir?: string;
  /** UDP ports of the Meeting Controller and Media Handler; 0 picks free ones. Default 4433 and 4443. */
  signalingPort?: number;
  mediaPort?: number;
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
}

export interface DevStackInfo {
  /** The origin to open in a browser, e.g. http://localhost:8080. */
  url: string;
  signaling: { webtransport: string; websocket: string; certificateHash: string };
  media: { webtransport: string; websocket: string; certificateHash: string }[];
  webApp: boolean;
  startupMs: number;
}

export interface DevStack extends DevStackInfo, AsyncDisposable {
  close(): Promise<void>;
  readonly closed: Promise<void>;
}

const DEV_SERVICE_SCOPES = {
  meeting: ['service.write.gc', 'service.read.gc', 'service.write.mh', 'service.read.mh'],
  media: ['service.write.mc', 'service.read.mc', 'service.write.mh', 'service.read.mh'],
  global: ['service.write.mc', 'service.read.mc'],
} as const;

function scopes(names: readonly string[]): Scope[] {
  return names.map((n) => toScope(n)).filter((s): s is Scope => s !== undefined);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

export async function startDevStack(options: DevStackOptions = {}): Promise<DevStack> {
  const started = performance.now();
  const host = options.host ?? '127.0.0.1';
  const port = options.port === 0 ? await freePort(host) : (options.port ?? 8080);
  // Pages must be a secure context for WebTransport and getUserMedia: http://localhost is one, 127.0.0.1 is not
  // in every browser.
  const origin = `http://localhost:${port}`;
  const dataDir = resolve(options.dataDir ?? 'data');
  const pgliteDir = join(dataDir, 'pglite');
  mkdirSync(pgliteDir, { recursive: true });
  const level = options.logLevel ?? 'info';
  // Tracing is off unless OTEL_TRACES_EXPORTER asks for it (console, file with OTEL_TRACES_FILE, or otlp).
  const tracing = createTracing({ serviceName: 'darktower-dev', ...traceExporterFromEnv(process.env) });
  const log = (component: string): Logger =>
    createLogger({ component, level, traceIds: () => tracing.activeIds() });
  const logger = log('dev');

  const cleanups: (() => Promise<void>)[] = [() => tracing.close()];
  const closeAll = async (): Promise<void> => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        logger.error({ err: error }, 'shutdown step failed');
      }
    }
  };

  try {
    // One embedded PostgreSQL for the Auth and Global Controllers (their tables and migration histories are apart).
    const database: Database<never> = await openDatabase<never>({ dataDir: pgliteDir });
    cleanups.push(() => database.close());

    const authConfig = loadAuthConfig({
      env: {
        NODE_ENV: 'development',
        LOG_LEVEL: level,
        DATA_DIR: dataDir,
        AUTH_ISSUER: origin,
        AUTH_AUDIENCE: 'darktower',
        AUTH_HOST: host,
        AUTH_PORT: '0',
        AUTH_OPS_PORT: '0',
        // Internal service tokens are minted once at start; a day keeps a long dev session working.
        AUTH_SERVICE_TOKEN_TTL: '24h',
      },
    });
    const auth: AuthController = await buildAuthController(authConfig, {
      logger: log('ac-service'),
      tracing,
      database: database as unknown as NonNullable<Parameters<typeof buildAuthController>[1]>['database'],
    });
    cleanups.push(() => auth.close('dev stack closing'));

    // Service credentials for the internal RPCs, registered in this instance's own Auth Controller. The Meeting
    // Controller and the Media Handler fetch (and refresh) their tokens with the client credentials grant.
    // Fixed client ids with a fresh secret at every start: restarts do not pile up clients, no secret is kept.
    const credentialsFor = (name: keyof typeof DEV_SERVICE_SCOPES) =>
      auth.service.provisionService(
        `svc_darktower-dev-${name}`,
        `dev-${name}`,
        scopes(DEV_SERVICE_SCOPES[name]),
        'darktower-dev',
        '127.0.0.1',
      );
    const [meetingCreds, mediaCreds, globalCreds] = await Promise.all([
      credentialsFor('meeting'),
      credentialsFor('media'),
      credentialsFor('global'),
    ]);
    const tokenUrl = `${origin}/v1/auth/service/token`;

    const globalConfig = loadGlobalConfig({
      env: {
        LOG_LEVEL: level,
        GC_DATA_DIR: pgliteDir,
        PUBLIC_BASE_URL: origin,
        AUTH_JWKS_URLS: `${origin}/.well-known/jwks.json`,
        AUTH_ISSUERS: origin,
        AUTH_AUDIENCE: 'darktower',
        AUTH_TOKEN_URL: tokenUrl,
        GC_CLIENT_ID: globalCreds.clientId,
        GC_CLIENT_SECRET: globalCreds.clientSecret,
      },
    });
    const gcLogger = log('gc-service');
    const metrics = createMetrics({ prefix: 'dt_', defaultLabels: { service: 'dev' } });
    const global: GlobalModule = await createGlobalModule(globalConfig, {
      logger: gcLogger,
      metrics,
      tracing,
      // Same-process verification against the Auth Controller's own keys (no HTTP round trip to ourselves).
      verifier: createTokenVerifier({ keySource: auth.keys, issuer: origin, audience: 'darktower' }),
    });
    cleanups.push(() => global.close('dev stack closing'));

    const app = createHttpApp({ logger: gcLogger, metrics, tracing, bodyLimit: 64 * 1024 });
    await app.register(auth.routes);
    await global.mount(app);
    const webDir = resolve(options.webDir ?? new URL('../../../web/dist', import.meta.url).pathname);
    const webApp = await mountWebApp(app, webDir);
    // Filled in once the WebTransport servers are bound.
    const published: { signaling?: DevStackInfo['signaling']; media: DevStackInfo['media'] } = { media: [] };
    app.get('/api/v1/dev/transport', (_request, reply) => {
      // Development only: what a page needs to reach self-signed WebTransport servers.
      if (published.signaling === undefined)
        return reply.code(503).send({ error: { code: 'UNAVAILABLE', message: 'starting', details: {} } });
      return reply.send(published);
    });
    await app.listen({ host, port });
    cleanups.push(() => app.close());

    const meeting: MeetingController = await buildMeetingController(
      loadMeetingConfig({
        env: {
          LOG_LEVEL: level,
          MC_HOST: host,
          MC_PORT: String(options.signalingPort ?? (options.port === 0 ? 0 : 4433)),
          MC_WS_PORT: '0',
          MC_RPC_PORT: '0',
          MC_OPS_PORT: '0',
          // The controller and its only handler share this process: an unanswered probe here means the process
          // stalled (a loaded machine), not a dead handler (seen in the web UI tests at load 40 on 2 cores). The
          // probe no longer fails the last answering handler on misses alone; the longer timeout keeps it quiet too.
          MC_HANDLER_PROBE_TIMEOUT: '3s',
          GC_RPC_URL: origin,
          AUTH_TOKEN_URL: tokenUrl,
          MC_CLIENT_ID: meetingCreds.clientId,
          MC_CLIENT_SECRET: meetingCreds.clientSecret,
          JOIN_TOKEN_JWKS_URL: `${origin}/api/v1/join-keys.json`,
          JOIN_TOKEN_ISSUERS: origin,
          AUTH_JWKS_URLS: `${origin}/.well-known/jwks.json`,
          AUTH_ISSUERS: origin,
          AUTH_AUDIENCE: 'darktower',
        },
      }),
      { logger: log('mc-service'), tracing },
    );
    cleanups.push(() => meeting.close('dev stack closing'));
    const mc = await meeting.listen();

    const media: MediaHandler = buildMediaHandler(
      loadMediaConfig({
        env: {
          MH_LOG_LEVEL: level,
          MH_HANDLER_ID: 'mh-dev-1',
          MH_HOST: host,
          MH_PUBLIC_HOST: host,
          MH_MEDIA_PORT: String(options.mediaPort ?? (options.port === 0 ? 0 : 4443)),
          MH_RPC_PORT: '0',
          MH_OPS_PORT: '0',
          MH_MEETING_CONTROLLER_URL: mc.rpc.url,
          AUTH_JWKS_URLS: `${origin}/.well-known/jwks.json`,
          AUTH_ISSUERS: origin,
          AUTH_AUDIENCE: 'darktower',
          AUTH_TOKEN_URL: tokenUrl,
          MH_CLIENT_ID: mediaCreds.clientId,
          MH_CLIENT_SECRET: mediaCreds.clientSecret,
        },
      }),
      { logger: log('mh-service'), tracing },
    );
    cleanups.push(() => media.close('dev stack closing'));
    const mh = await media.listen();

    const signaling = {
      webtransport: mc.signaling.url,
      websocket: mc.websocket.url,
      certificateHash: hex(mc.certificateHash),
    };
    published.signaling = signaling;
    published.media = [
      {
        webtransport: mh.media,
        websocket: `${mh.rpc.replace(/^http/, 'ws')}/media`,
        certificateHash: hex(mh.certificateHash),
      },
    ];

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => (closing ??= closeAll());
    const info: DevStackInfo = {
      url: origin,
      signaling,
      media: published.media,
      webApp,
      startupMs: Math.round(performance.now() - started),
    };
    return {
      ...info,
      close,
      get closed() {
        return closing ?? new Promise<void>(() => undefined);
      },
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
