import { connectNodeAdapter } from '@connectrpc/connect-node';
import {
  connectWebTransport,
  createWebSocketSessionServer,
  createWebTransportServer,
  type WebTransportServerOptions,
} from '@darktower/transport';
import {
  createLogger,
  createMetrics,
  createOpsServer,
  serverTraceInterceptor,
  type Tracing,
  type BoundAddress,
  type Logger,
} from '@darktower/service-kit';
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceTokenVerifier } from '../auth.ts';
import { systemClock } from '../clock.ts';
import { CapacityMeter, type CapacityLevel } from '../core/capacity.ts';
import { asHandlerId } from '../ids.ts';
import { MediaHandlerCore } from '../media-handler.ts';
import type { MediaConfig } from './config.ts';
import { mediaHandlerRoutes } from './media-handler-rpc.ts';
import { mediaMetrics } from './media-metrics.ts';
import { MeetingControllerLink } from './meeting-controller-link.ts';
import { outgoingServiceToken } from './service-token-source.ts';
import {
  cascadeCredential,
  jwtServiceTokens,
  refuseServiceTokens,
  sharedSecretServiceTokens,
} from './service-tokens.ts';

/** Concurrent media streams one participant session may open (a camera, a screen, their simulcast layers). */
const PARTICIPANT_INGEST_STREAMS = 32;

export interface MediaHandlerAddresses {
  /** WebTransport URL clients connect to. */
  media: string;
  /** MediaHandlerService (Connect) base URL; also serves the WebSocket fallback at /media. */
  rpc: string;
  ops: BoundAddress;
  certificateHash: Uint8Array;
}

export interface MediaHandler extends AsyncDisposable {
  readonly core: MediaHandlerCore;
  listen(): Promise<MediaHandlerAddresses>;
  /** Idempotent: not ready, stop accepting, close every session. */
  close(reason?: unknown): Promise<void>;
  readonly closed: Promise<void>;
}

export interface BuildOptions {
  logger?: Logger;
  /** Spans of media session authentication and the RPCs (main.ts: from OTEL_TRACES_EXPORTER); default none. */
  tracing?: Tracing;
  serviceTokens?: ServiceTokenVerifier;
}

/** The deployable Media Handler: QUIC media port, Connect RPC + WebSocket fallback port, ops port. */
export function buildMediaHandler(config: MediaConfig, options: BuildOptions = {}): MediaHandler {
  const logger =
    options.logger ?? createLogger({ component: 'mh-service', level: config.logLevel as 'info' });
  const metrics = createMetrics({
    prefix: 'dt_mh_',
    processMetrics: true,
    defaultLabels: { handler: config.handlerId, region: config.region },
  });
  const serviceTokens =
    options.serviceTokens ??
    (config.authJwksUrls.length > 0
      ? jwtServiceTokens({
          jwksUrls: config.authJwksUrls,
          issuers: config.authIssuers,
          audience: config.authAudience,
        })
      : config.serviceSecret !== undefined
        ? sharedSecretServiceTokens(config.serviceSecret.reveal())
        : refuseServiceTokens);
  const outgoing = outgoingServiceToken(config);
  const secret = config.serviceSecret;
  // A cascade dialer always presents its own identity: the peer checks that the token is this handler's (the
  // controller's token in SetupCascadeRequest.service_token is not used for that: it speaks for the controller).
  const cascadeCredentialOf = async (_given: string, signal: AbortSignal): Promise<string> => {
    // Development mode: the shared secret names this handler itself.
    if (config.authJwksUrls.length === 0 && secret !== undefined)
      return `svc.${config.handlerId}.${secret.reveal()}`;
    const jwt = (await outgoing?.(signal)) ?? '';
    return jwt === '' ? '' : cascadeCredential(config.handlerId, jwt);
  };
  let mediaPort = config.mediaPort;
  let certHash: Uint8Array = new Uint8Array();
  // The certificate hash is advertised (to controllers, hence to clients and cascade peers) for the development
  // certificate and for a configured one that qualifies for serverCertificateHashes (ECDSA, valid at most 14 days,
  // like the cluster's); a longer-lived certificate is trusted through its CA instead.
  const advertiseHash = config.certPem === undefined || qualifiesForHashPinning(config.certPem);
  const certificateHashes = (): Uint8Array[] => (advertiseHash ? [certHash] : []);
  const mediaUrl = (): string => `https://${config.publicHost}:${mediaPort}/media`;
  // The transport's per-session stream limit has to fit a cascade link (the media layer holds a participant to
  // PARTICIPANT_INGEST_STREAMS, resetting the rest), plus control and feedback streams.
  const streamsPerSession = Math.max(256, config.maxCascadeStreams + 16);
  const core = new MediaHandlerCore({
    handlerId: asHandlerId(config.handlerId),
    mediaUrl,
    serverCertificateHashes: certificateHashes,
    clock: systemClock,
    capacity: new CapacityMeter({ maxBandwidthBps: config.maxBandwidthMbps * 1e6 }),
    output: { maxFrames: config.queueFrames, maxBytes: config.queueBytes },
    connection: {
      maxPayloadLength: config.maxPayloadBytes,
      maxIngestStreams: PARTICIPANT_INGEST_STREAMS,
      maxCascadeIngestStreams: config.maxCascadeStreams,
      datagramsPerSecond: config.datagramsPerSecond,
      audioAsDatagrams: config.audioAsDatagrams === 1,
    },
    keyframeIntervalMs: config.keyframeInterval,
    authTimeoutMs: config.authTimeout,
    tokenTtlMs: config.tokenTtl,
    maxParticipants: config.maxParticipants,
    serviceTokens,
    cascadeCredential: cascadeCredentialOf,
    tracing: options.tracing,
    dialer: (url, hashes, signal) =>
      connectWebTransport(url, {
        ...(hashes.length > 0 ? { serverCertificateHashes: hashes } : {}),
        limits: { maxStreamsPerSession: streamsPerSession },
        signal,
      }),
  });
  const cert: WebTransportServerOptions['cert'] =
    config.certPem !== undefined && config.keyPem !== undefined
      ? { certPem: config.certPem, keyPem: config.keyPem.reveal() }
      : 'dev';
  let mediaBound = false;
  const wt = createWebTransportServer({
    host: config.host,
    port: config.mediaPort,
    cert,
    limits: { maxConnectionsPerIp: config.maxConnectionsPerIp, maxStreamsPerSession: streamsPerSession },
    onRequest: (req) =>
      req.path === '/media' || req.path.startsWith('/media?')
        ? { accept: true }
        : { accept: false, status: 404 },
    onSession: (session) => {
      core.acceptSession(session);
    },
  });
  const http = createServer(
    connectNodeAdapter({
      routes: mediaHandlerRoutes(core, serviceTokens, (error) => {
        logger.error({ err: error }, 'media handler RPC failed');
      }),
      interceptors: options.tracing === undefined ? [] : [serverTraceInterceptor(options.tracing)],
    }),
  );
  const ws = createWebSocketSessionServer({
    server: http,
    pathPrefix: '/media',
    onRequest: () => ({ accept: true }),
    onSession: (session) => {
      core.acceptSession(session);
    },
  });
  const links: MeetingControllerLink[] = [];
  const ops = createOpsServer({
    host: config.opsHost,
    port: config.opsPort,
    logger,
    metrics,
    checks: {
      media_port: () => (mediaBound ? Promise.resolve() : Promise.reject(new Error('media port not bound'))),
      registered: () =>
        links.every((l) => l.registered)
          ? Promise.resolve()
          : Promise.reject(new Error('not registered with every meeting controller')),
    },
  });
  const gauges = mediaMetrics(metrics, core);
  let level: CapacityLevel = 'ok';
  const timer = setInterval(() => {
    core.tick();
    gauges.update();
    const now = core.capacity.level;
    if (now !== level) {
      (now === 'ok' ? logger.info.bind(logger) : logger.warn.bind(logger))(
        { level: now, utilization: core.capacity.utilization },
        now === 'refuse'
          ? 'bandwidth above 80%: refusing new participants'
          : now === 'warn'
            ? 'bandwidth above 70%'
            : 'bandwidth back to normal',
      );
      level = now;
    }
  }, 1000);
  timer.unref();

  const closed = Promise.withResolvers<undefined>();
  let closing: Promise<void> | undefined;
  const close = (reason?: unknown): Promise<void> => {
    closing ??= (async () => {
      ops.drain();
      logger.info({ reason: reason instanceof Error ? reason.message : reason }, 'media handler closing');
      clearInterval(timer);
      for (const l of links) l.close();
      core.close();
      await wt.close();
      await ws.close();
      await new Promise<void>((resolve) =>
        http.close(() => {
          resolve();
        }),
      );
      http.closeAllConnections();
      await ops.close();
      closed.resolve(undefined);
    })();
    return closing;
  };

  return {
    core,
    closed: closed.promise,
    close,
    async listen(): Promise<MediaHandlerAddresses> {
      const addr = await wt.listen();
      mediaPort = addr.port;
      certHash = wt.certificateHash();
      mediaBound = true;
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.rpcPort, config.host, () => {
          resolve();
        });
      });
      const rpcPort = (http.address() as AddressInfo).port;
      const rpc = `http://${config.publicHost}:${rpcPort}`;
      const opsAddress = await ops.listen();
      // One registration per controller of the region: any of them may place a meeting here.
      for (const url of config.meetingControllerUrls) {
        const link = new MeetingControllerLink({
          url,
          core,
          region: config.region,
          mediaUrl: mediaUrl(),
          rpcUrl: rpc,
          certificateHashes,
          capacity: {
            maxStreams: config.maxStreams,
            maxBandwidthBps: config.maxBandwidthMbps * 1e6,
            maxParticipants: config.maxParticipants,
          },
          heartbeatIntervalMs: config.heartbeatInterval,
          serviceToken: outgoing,
          logger,
        });
        links.push(link);
        link.start();
      }
      logger.info({ media: mediaUrl(), rpc, ops: opsAddress.url }, 'media handler listening');
      return { media: mediaUrl(), rpc, ops: opsAddress, certificateHash: certHash };
    },
    [Symbol.asyncDispose]: () => close(),
  };
}

/** Whether browsers accept the certificate through serverCertificateHashes: ECDSA, valid for at most 14 days. */
export function qualifiesForHashPinning(certPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const validityMs = Date.parse(cert.validTo) - Date.parse(cert.validFrom);
    return cert.publicKey.asymmetricKeyType === 'ec' && validityMs > 0 && validityMs <= FOURTEEN_DAYS_MS;
  } catch {
    return false;
  }
}

const FOURTEEN_DAYS_MS = 14 * 24 * 3600 * 1000;
