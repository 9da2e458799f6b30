import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { Readiness, type ReadinessCheck } from './readiness.ts';
import type { Lifetime } from './scope.ts';

export interface OpsServerOptions {
  /** Defaults to `127.0.0.1`; use `0.0.0.0` in a pod so the kubelet and Prometheus can reach it. */
  host?: string;
  /** Defaults to 8080 (ADR-0012 probe port); 0 picks a free port. */
  port?: number;
  logger: Logger;
  metrics: Metrics;
  /** Readiness dependency checks by name (ADR-0012: AC database + signing key, GC database + AC JWKS, ...). */
  checks?: Readonly<Record<string, ReadinessCheck>>;
  /** Per-check timeout, default 2000 ms. */
  checkTimeoutMs?: number;
}

/** The bound address of a listening server. */
export interface BoundAddress {
  host: string;
  port: number;
  /** `http://host:port` */
  url: string;
}

/** The operational HTTP server: `/health`, `/ready`, `/metrics` (ADR-0012 "Standard Operational Endpoints"). */
export interface OpsServer extends Lifetime {
  listen(): Promise<BoundAddress>;
  /** Shutdown started: `/ready` answers 503 `draining` and `/health` 503 `shutting_down` from now on. */
  drain(): void;
  readonly readiness: Readiness;
}

const JSON_TYPE = 'application/json; charset=utf-8';

function send(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(text);
}

function errorBody(code: string, message: string): unknown {
  return { error: { code, message, details: {} } };
}

/**
 * Creates the ops server on node:http. `GET /health` (liveness: 200 `{status:"ok"}` while up and not shutting down,
 * no dependency checked), `GET /ready` (readiness: 200 `{status:"ready",checks}` or 503), `GET /metrics`
 * (Prometheus text). Other paths: 404 JSON; other methods: 405 with `Allow: GET, HEAD`.
 */
export function createOpsServer(options: OpsServerOptions): OpsServer {
  const { logger, metrics } = options;
  const readiness = new Readiness({
    logger,
    ...(options.checks === undefined ? {} : { checks: options.checks }),
    ...(options.checkTimeoutMs === undefined ? {} : { timeoutMs: options.checkTimeoutMs }),
  });
  let shuttingDown = false;
  const closed = Promise.withResolvers<undefined>();
  let closing: Promise<void> | undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path !== '/health' && path !== '/ready' && path !== '/metrics') {
      send(res, 404, errorBody('NOT_FOUND', 'Not found'));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, errorBody('INVALID_REQUEST', 'Method not allowed'), { allow: 'GET, HEAD' });
      return;
    }
    switch (path) {
      case '/health':
        if (shuttingDown) send(res, 503, { status: 'shutting_down' });
        else send(res, 200, { status: 'ok' });
        return;
      case '/ready': {
        const report = await readiness.check();
        send(res, report.status === 'ready' ? 200 : 503, report);
        return;
      }
      case '/metrics': {
        const text = await metrics.render();
        res.writeHead(200, {
          'content-type': metrics.contentType,
          'content-length': Buffer.byteLength(text),
          'cache-control': 'no-store',
        });
        res.end(text);
        return;
      }
    }
  };

  const server = createServer(
    { requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000, maxHeaderSize: 16 * 1024 },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        logger.error({ err: error, path: req.url }, 'ops endpoint failed');
        if (!res.headersSent) send(res, 500, errorBody('INTERNAL_ERROR', 'Internal error'));
        else res.destroy();
      });
    },
  );
  server.on('clientError', (_error, socket) => {
    socket.destroy();
  });

  const drain = (): void => {
    shuttingDown = true;
    readiness.drain();
  };

  const close = (reason?: unknown): Promise<void> => {
    closing ??= (async () => {
      drain();
      if (server.listening) {
        const done = new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
        });
        server.closeIdleConnections();
        // Probes and scrapes are short; in-flight ones are cut rather than holding shutdown.
        server.closeAllConnections();
        await done;
      }
      logger.debug({ reason: reason instanceof Error ? reason.message : reason }, 'ops server closed');
      closed.resolve(undefined);
    })();
    return closing;
  };

  return {
    readiness,
    drain,
    closed: closed.promise,
    close,
    [Symbol.asyncDispose]: () => close(),
    listen: async () => {
      if (closing !== undefined) throw new Error('ops server: listen() after close()');
      const host = options.host ?? '127.0.0.1';
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 8080, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      logger.info({ host: address.address, port: address.port }, 'ops server listening');
      return { host: address.address, port: address.port, url: `http://${shown}:${address.port}` };
    },
  };
}
