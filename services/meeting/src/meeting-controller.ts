// buildMeetingController(config): the deployable Meeting Controller. Signaling over WebTransport (QUIC) and the
// WebSocket fallback, MeetingControllerService over Connect, /health /ready /metrics, registration with the Global
// Controller, presence sweeps. Everything it starts, close() stops, in reverse order.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { Code, ConnectError } from '@connectrpc/connect';
import { createTokenVerifier, formatScope } from '@darktower/auth-verifier';
import {
  clientTraceInterceptor,
  createLogger,
  createMetrics,
  createOpsServer,
  createTracing,
  serverTraceInterceptor,
  type Tracing,
  type Logger,
  type Metrics,
  type OpsServer,
} from '@darktower/service-kit';
import {
  createWebSocketSessionServer,
  createWebTransportServer,
  type Session,
  type WebSocketSessionServer,
  type WebTransportServer,
} from '@darktower/transport';
import type { MeetingConfig } from './config.ts';
import { HandlerId, MeetingId, systemClock, type Clock } from './ids.ts';
import { createMeetingMetrics } from './meeting-metrics.ts';
import { HandlerProbe, httpProbe } from './routing/handler-probe.ts';
import { HandlerRegistry } from './routing/handler-registry.ts';
import { defaultAssignmentOptions } from './routing/assign-handlers.ts';
import { ConnectMediaGateway } from './rpc/connect-media-gateway.ts';
import { GlobalControllerLink } from './rpc/global-controller-link.ts';
import { meetingControllerRoutes } from './rpc/meeting-controller-rpc.ts';
import { outgoingServiceToken } from './rpc/service-token-source.ts';
import { createJoinTokenVerifier, type JoinTokenVerifier } from './signaling/join-token.ts';
import type { MediaHandlerGateway } from './signaling/media-gateway.ts';
import { SignalingService } from './signaling/signaling-service.ts';
import type { MeetingStore } from './state/meeting-store.ts';
import { openMeetingStore } from './state/open-meeting-store.ts';

export interface MeetingControllerAddresses {
  /** WebTransport URL (https://host:port) and the certificate hash browsers pin in development. */
  readonly signaling: { readonly host: string; readonly port: number; readonly url: string };
  readonly certificateHash: Uint8Array;
  readonly websocket: { readonly host: string; readonly port: number; readonly url: string };
  readonly rpc: { readonly host: string; readonly port: number; readonly url: string };
  readonly ops: { readonly host: string; readonly port: number; readonly url: string };
}

export interface MeetingController extends AsyncDisposable {
  readonly controllerId: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  listen(): Promise<MeetingControllerAddresses>;
  close(reason?: string): Promise<void>;
  readonly closed: Promise<void>;
}

/** Replaceable parts, for tests that must control them (never needed in production). */
export interface MeetingControllerOverrides {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly store?: MeetingStore;
  readonly media?: MediaHandlerGateway;
  readonly verifier?: JoinTokenVerifier;
  /** Spans of the join flow and the RPCs (main.ts: from OTEL_TRACES_EXPORTER); default: ids only, no export. */
  readonly tracing?: Tracing;
}

export async function buildMeetingController(
  config: MeetingConfig,
  overrides: MeetingControllerOverrides = {},
): Promise<MeetingController> {
  const controllerId = config.controllerId ?? `mc-${randomUUID()}`;
  const clock = overrides.clock ?? systemClock;
  const tracing = overrides.tracing ?? createTracing({ serviceName: 'mc-service', exporter: 'none' });
  const logger =
    overrides.logger ??
    createLogger({ component: 'mc-service', level: config.logLevel, traceIds: () => tracing.activeIds() });
  const metrics = createMetrics({
    prefix: 'dt_mc_',
    defaultLabels: { region: config.region },
    processMetrics: true,
  });
  const opened =
    overrides.store === undefined
      ? await openMeetingStore({
          url: config.redisUrl,
          cluster: config.redisCluster,
          prefix: config.redisPrefix,
          clock,
        })
      : { store: overrides.store };
  const store = opened.store;
  const handlers = new HandlerRegistry(clock, config.handlerTimeout);
  const meetingMetrics = createMeetingMetrics(metrics, () => handlers.list());
  const serviceToken = outgoingServiceToken(config);
  const media =
    overrides.media ??
    new ConnectMediaGateway(handlers, {
      interceptors: [clientTraceInterceptor(tracing)],
      ...(serviceToken === undefined ? {} : { serviceToken }),
    });
  const verifier =
    overrides.verifier ??
    createJoinTokenVerifier({ jwksUrl: config.joinTokenJwksUrl, issuer: config.joinTokenIssuers });
  const service = new SignalingService({
    controllerId,
    clock,
    store,
    media,
    handlers,
    verifier,
    log: logger,
    tracing,
    metrics: meetingMetrics,
    ...(opened.bus === undefined ? {} : { bus: opened.bus }),
    roomOptions: {
      sessionTtlMs: config.sessionTtl,
      heartbeatIntervalMs: config.heartbeatInterval,
      defaultMaxParticipants: config.maxParticipants,
      assignment: {
        ...defaultAssignmentOptions,
        ...(config.handlerMeetingCap > 0
          ? { maxMeetingParticipantsPerHandler: config.handlerMeetingCap }
          : {}),
      },
    },
    connectionOptions: { maxMessageSize: config.maxMessageSize, rateLimit: config.rateLimitPerMinute },
  });

  let quic: WebTransportServer | undefined;
  let ws: WebSocketSessionServer | undefined;
  let rpc: http.Server | undefined;
  let ops: OpsServer | undefined;
  let gc: GlobalControllerLink | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let speakerTimer: NodeJS.Timeout | undefined;
  let evaluating: Promise<void> | undefined;
  let sweeping: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<undefined>((resolve) => {
    resolveClosed = () => {
      resolve(undefined);
    };
  });

  const onSession = (session: Session): void => {
    service.accept(session);
  };

  const rpcAuth = ((): ((authorization: string | null, signal: AbortSignal) => Promise<void>) | undefined => {
    if (config.rpcJwksUrls.length === 0) {
      logger.warn(
        {},
        'AUTH_JWKS_URLS is empty: the RPC port accepts unauthenticated calls (development only)',
      );
      return undefined;
    }
    const tokens = createTokenVerifier({
      jwksUrls: config.rpcJwksUrls,
      issuer: config.rpcIssuers,
      audience: config.rpcAudience,
    });
    const scope = formatScope({ principal: 'service', operation: 'write', component: 'mc' });
    return async (authorization, signal) => {
      const token = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(authorization ?? '')?.[1];
      if (token === undefined) throw new ConnectError('service token required', Code.Unauthenticated);
      try {
        await tokens.verify(token, { requiredScopes: [scope], signal });
      } catch (error) {
        throw new ConnectError('service token refused', Code.Unauthenticated, undefined, undefined, error);
      }
    };
  })();

  // Health checks between heartbeats: a dead handler is failed over within a few hundred ms, not a heartbeat timeout.
  const probe = new HandlerProbe({
    registry: handlers,
    probe: httpProbe,
    intervalMs: config.handlerProbeInterval,
    timeoutMs: config.handlerProbeTimeout,
    missesToFail: 3,
    onFailed: (failed) => {
      for (const h of failed) lastUnhealthy.add(h);
      logger.warn({ handlers: [...failed] }, 'media handlers failed their health check');
      service.handlersFailed(failed).catch((error: unknown) => {
        logger.error({ err: error }, 'media handler failover failed');
      });
    },
  });

  let lastUnhealthy = new Set<string>();
  async function sweep(): Promise<void> {
    const unhealthy = new Set(
      handlers
        .list()
        .filter((h) => h.health === 'unhealthy')
        .map((h) => h.handlerId),
    );
    const newlyFailed = new Set([...unhealthy].filter((h) => !lastUnhealthy.has(h)).map((h) => HandlerId(h)));
    lastUnhealthy = unhealthy;
    if (newlyFailed.size > 0) {
      logger.warn({ handlers: [...newlyFailed] }, 'media handlers stopped heartbeating');
      await service.handlersFailed(newlyFailed);
    }
    await service.sweep();
  }

  async function listen(): Promise<MeetingControllerAddresses> {
    const cert =
      config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined
        ? {
            certPem: readFileSync(config.tlsCertFile, 'utf8'),
            keyPem: readFileSync(config.tlsKeyFile, 'utf8'),
          }
        : ('dev' as const);
    await service.start();
    quic = createWebTransportServer({
      host: config.host,
      port: config.port,
      cert,
      onSession,
      limits: { maxConnections: config.maxConnections, maxConnectionsPerIp: config.maxConnectionsPerIp },
    });
    const q = await quic.listen();
    const signalingUrl = config.publicUrl ?? `https://${urlHost(q.host)}:${q.port}`;

    ws = createWebSocketSessionServer({
      onRequest: () => ({ accept: true }),
      onSession,
      maxConnections: config.maxConnections,
      maxConnectionsPerIp: config.maxConnectionsPerIp,
    });
    const w = await ws.listen(config.wsPort, config.host);

    const handler = connectNodeAdapter({
      routes: meetingControllerRoutes({
        service,
        handlers,
        endpoint: signalingUrl,
        handlerHeartbeatIntervalMs: Math.max(1000, Math.floor(config.handlerTimeout / 3)),
        ...(rpcAuth === undefined ? {} : { authenticate: rpcAuth }),
        log: logger,
      }),
      interceptors: [serverTraceInterceptor(tracing)],
    });
    const rpcServer = http.createServer(handler);
    rpc = rpcServer;
    await new Promise<void>((resolve, reject) => {
      rpcServer.once('error', reject);
      rpcServer.listen(config.rpcPort, config.host, () => {
        rpcServer.off('error', reject);
        resolve();
      });
    });
    const r = rpcServer.address() as AddressInfo;
    const rpcUrl = config.rpcPublicUrl ?? `http://${urlHost(r.address)}:${r.port}`;

    const gcUrl = config.gcRpcUrl;
    if (gcUrl !== undefined) {
      const quicServer = quic;
      gc = new GlobalControllerLink({
        url: gcUrl,
        ...(serviceToken === undefined ? {} : { serviceToken }),
        controllerId,
        region: config.region,
        endpoint: signalingUrl,
        rpcEndpoint: rpcUrl,
        certificateHashes: () => (config.tlsCertFile === undefined ? [quicServer.certificateHash()] : []),
        capacity: () => {
          const s = service.stats();
          return {
            maxMeetings: config.maxMeetings,
            currentMeetings: s.meetings,
            maxParticipants: config.maxMeetings * config.maxParticipants,
            currentParticipants: s.participants,
          };
        },
        meetingIds: () => service.meetingIds(),
        onAssignments: async (assignments) => {
          for (const a of assignments) {
            await service.assignMeeting(MeetingId(a.meetingId), {
              displayName: a.config?.displayName ?? '',
              maxParticipants: a.config?.maxParticipants ?? 0,
              enableE2ee: a.config?.enableE2eEncryption ?? true,
              recordingEnabled: a.config?.recordingEnabled ?? false,
            });
          }
        },
        log: logger,
      });
      gc.startInBackground();
    }

    const link = gc;
    ops = createOpsServer({
      host: config.opsHost,
      port: config.opsPort,
      logger,
      metrics,
      checks: {
        store: async (signal) => ({ latencySeconds: await service.pingStore(signal) }),
        ...(link === undefined
          ? {}
          : {
              globalController: () =>
                link.registered ? Promise.resolve('registered') : Promise.reject(new Error('not registered')),
            }),
      },
    });
    const o = await ops.listen();

    sweepTimer = setInterval(() => {
      sweeping ??= sweep()
        .catch((error: unknown) => {
          logger.error({ err: error }, 'sweep failed');
        })
        .finally(() => {
          sweeping = undefined;
        });
    }, config.sweepInterval);

    probe.start();

    speakerTimer = setInterval(() => {
      evaluating ??= service.evaluateSpeakers().finally(() => {
        evaluating = undefined;
      });
    }, config.speakerInterval);

    logger.info(
      { controllerId, signaling: signalingUrl, rpc: rpcUrl, ops: o.url },
      'meeting controller listening',
    );
    return {
      signaling: { host: q.host, port: q.port, url: signalingUrl },
      certificateHash: quic.certificateHash(),
      websocket: { host: w.host, port: w.port, url: `ws://${urlHost(w.host)}:${w.port}` },
      rpc: { host: r.address, port: r.port, url: rpcUrl },
      ops: { host: o.host, port: o.port, url: o.url },
    };
  }

  function close(reason = 'shutdown'): Promise<void> {
    closing ??= (async () => {
      logger.info({ reason }, 'meeting controller closing');
      ops?.drain();
      clearInterval(sweepTimer);
      clearInterval(speakerTimer);
      await probe.close();
      await sweeping;
      await evaluating;
      await gc?.close();
      await service.close();
      await quic?.close(reason);
      // Bounded: a transport that fails to finish its own close must not hold the process.
      await Promise.race([ws?.close(), delay(2_000)]);
      const server = rpc;
      if (server !== undefined) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
        });
      }
      await ops?.close();
      await store.close();
      if (overrides.tracing === undefined) await tracing.close();
      resolveClosed();
    })();
    return closing;
  }

  return {
    controllerId,
    logger,
    metrics,
    listen,
    close,
    closed,
    [Symbol.asyncDispose]: () => close(),
  };
}

function delay(ms: number): Promise<void> {
  return sleep(ms, undefined, { ref: false });
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
