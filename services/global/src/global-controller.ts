import type { Socket } from 'node:net';
import {
  createHttpApp,
  createLogger,
  createMetrics,
  createOpsServer,
  createTracing,
  type BoundAddress,
  type Logger,
  type Metrics,
  type Tracing,
} from '@darktower/service-kit';
import type { FastifyInstance } from 'fastify';
import type { GlobalConfig } from './config.ts';
import { createGlobalModule, type GlobalModule, type GlobalModuleOptions } from './global-module.ts';

export interface GlobalControllerAddresses {
  readonly api: BoundAddress;
  readonly ops: BoundAddress;
}

/** The deployable Global Controller: REST + Connect RPC on one port, /health /ready /metrics on the ops port. */
export interface GlobalController extends AsyncDisposable {
  listen(): Promise<GlobalControllerAddresses>;
  /** Idempotent: drains readiness, stops accepting, closes storage. */
  close(reason?: unknown): Promise<void>;
  readonly closed: Promise<void>;
  readonly app: FastifyInstance;
  readonly module: GlobalModule;
  readonly logger: Logger;
  readonly tracing: Tracing;
  readonly metrics: Metrics;
}

export type BuildGlobalControllerOptions = Partial<
  Pick<GlobalModuleOptions, 'verifier' | 'peer' | 'signal'>
> & {
  /** Give it `traceIds: () => tracing.activeIds()` of the same tracing so log lines carry trace/span ids. */
  readonly logger?: Logger;
  /**
   * Spans of this service (main.ts builds it from OTEL_TRACES_EXPORTER and friends). Default: exporter `none` (ids
   * for propagation and log correlation, nothing exported), then closed with the controller; a given one is the
   * caller's to close.
   */
  readonly tracing?: Tracing;
};

export async function buildGlobalController(
  config: GlobalConfig,
  options: BuildGlobalControllerOptions = {},
): Promise<GlobalController> {
  const ownTracing = options.tracing === undefined;
  const tracing = options.tracing ?? createTracing({ serviceName: 'gc-service', exporter: 'none' });
  const logger =
    options.logger ??
    createLogger({ component: 'gc-service', level: config.logLevel, traceIds: () => tracing.activeIds() });
  const metrics = createMetrics({
    prefix: 'dt_gc_',
    processMetrics: true,
    defaultLabels: { region: config.region },
  });
  let module: GlobalModule;
  try {
    module = await createGlobalModule(config, {
      logger,
      metrics,
      tracing,
      ...(options.verifier === undefined ? {} : { verifier: options.verifier }),
      ...(options.peer === undefined ? {} : { peer: options.peer }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    if (ownTracing) await tracing.close();
    throw error;
  }
  const app = createHttpApp({
    logger,
    metrics,
    bodyLimit: 64 * 1024,
    trustProxy: config.trustProxy,
    logRequests: config.logLevel === 'debug' || config.logLevel === 'trace',
    tracing,
  });
  // Open client connections to the API port (REST and the internal RPC share it).
  const connections = metrics.gauge({
    name: 'active_connections',
    help: 'Open TCP connections to the API port',
  });
  app.server.on('connection', (socket: Socket) => {
    connections.inc();
    socket.once('close', () => {
      connections.dec();
    });
  });
  const ops = createOpsServer({
    host: config.opsHost,
    port: config.opsPort,
    logger,
    metrics,
    checks: module.readinessChecks,
  });
  // Requests still running when close() starts finish before storage closes under them.
  let inFlight = 0;
  let idle: PromiseWithResolvers<undefined> | undefined;
  app.addHook('onRequest', (_request, _reply, done) => {
    inFlight++;
    done();
  });
  app.addHook('onResponse', (_request, _reply, done) => {
    inFlight--;
    if (inFlight === 0) idle?.resolve(undefined);
    done();
  });
  const drained = async (timeoutMs: number): Promise<void> => {
    if (inFlight <= 0) return;
    idle = Promise.withResolvers<undefined>();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      idle.promise,
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  };
  try {
    await module.mount(app);
    await app.ready();
  } catch (error) {
    await module.close(error);
    if (ownTracing) await tracing.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  const closed = Promise.withResolvers<undefined>();
  const close = (reason?: unknown): Promise<void> => {
    closing ??= (async () => {
      ops.drain();
      logger.info({ reason: reason instanceof Error ? reason.message : reason }, 'global controller closing');
      await app.close();
      await drained(5000);
      await ops.close();
      await module.close(reason);
      if (ownTracing) await tracing.close();
      closed.resolve(undefined);
    })();
    return closing;
  };

  return {
    app: app,
    module,
    logger,
    tracing,
    metrics,
    listen: async () => {
      await app.listen({ host: config.host, port: config.port });
      const address = app.server.address();
      if (address === null || typeof address === 'string') throw new Error('API server has no TCP address');
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      const api = { host: address.address, port: address.port, url: `http://${host}:${address.port}` };
      const opsAddress = await ops.listen();
      logger.info(
        { api: api.url, ops: opsAddress.url, region: config.region },
        'global controller listening',
      );
      return { api, ops: opsAddress };
    },
    close,
    closed: closed.promise,
    [Symbol.asyncDispose]: () => close(),
  };
}
