import { randomUUID } from 'node:crypto';
import { fastify, LogController, type FastifyInstance } from 'fastify';
import { toErrorReply } from './error-reply.ts';
import { HttpError } from './http-error.ts';
import { createHttpMetrics, type HttpMetrics } from './http-metrics.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { parseTraceparent } from './trace-context.ts';
import type { Tracing } from './tracing/tracing.ts';
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { IncomingMessage } from 'node:http';

/**
 * The fastify instance type {@link createHttpApp} returns: the default `FastifyInstance`, so route plugins typed
 * against plain fastify mount without casts (`request.log` is our pino logger at runtime).
 */
export type HttpApp = FastifyInstance;

export interface CreateHttpAppOptions {
  logger: Logger;
  /** HTTP request metrics are registered here (one app per registry), unless `httpMetrics` is given. */
  metrics: Metrics;
  httpMetrics?: HttpMetrics;
  /** Largest accepted body in bytes; default 64 KiB. */
  bodyLimit?: number;
  /** Log each request and response (fastify's request logging). Default true. */
  logRequests?: boolean;
  /** Whole-request timeout in ms; default 30 s. */
  requestTimeoutMs?: number;
  /** Trust `X-Forwarded-*` from a proxy; default false. */
  trustProxy?: boolean | string | string[];
  /**
   * One server span per request (`GET /v1/meetings/:id`), child of the caller's W3C `traceparent` when valid; route
   * handlers run inside it (spans they start are its children) and request logs carry its ids.
   */
  tracing?: Tracing;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Creates a fastify 5 app configured for a Dark Tower REST service:
 * - Ajv never coerces types or strips properties (`{ coerceTypes: false, removeAdditional: false }`): a JSON
 *   `3` is not the string `"3"`, and `additionalProperties: false` in a schema rejects. Note that querystring and
 *   params values are strings, so declare them as strings in schemas.
 * - body limit (64 KiB default), `__proto__`/`constructor` poisoning refused, request ids (a well-formed incoming
 *   `x-request-id` is kept, otherwise a UUID; echoed in the response header, logged as `request_id`); request
 *   logs also carry `trace_id`/`span_id` from a valid W3C `traceparent` header,
 * - every error and 404 answered as `{ "error": { "code", "message", "details" } }` (api-contracts.md); 5xx never
 *   carry internals,
 * - `http_requests_total`, `http_request_duration_seconds`, `http_request_errors_total` by route template.
 */
export function createHttpApp(options: CreateHttpAppOptions): HttpApp {
  const httpMetrics = options.httpMetrics ?? createHttpMetrics(options.metrics);
  const tracing = options.tracing;
  const spans = new WeakMap<IncomingMessage, Span>();
  const requestIds = (raw: IncomingMessage): { trace_id: string; span_id: string } | undefined => {
    if (tracing === undefined) return parseTraceparent(raw.headers.traceparent);
    // The server span starts with the request (its logger is the first thing fastify makes), named by method
    // until the route is known.
    const span = tracing.startSpan(`HTTP ${raw.method ?? 'OTHER'}`, {
      kind: SpanKind.SERVER,
      traceparent: typeof raw.headers.traceparent === 'string' ? raw.headers.traceparent : undefined,
      attributes: { 'http.request.method': raw.method ?? 'OTHER' },
    });
    spans.set(raw, span);
    const ctx = span.spanContext();
    return { trace_id: ctx.traceId, span_id: ctx.spanId };
  };
  const app = fastify({
    loggerInstance: options.logger,
    logController: new LogController({
      requestIdLogLabel: 'request_id',
      disableRequestLogging: options.logRequests === false,
    }),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    trustProxy: options.trustProxy ?? false,
    // fastify's own 503-while-closing body is not our error shape; the onRequest hook below answers instead.
    return503OnClosing: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Request loggers carry trace_id/span_id from a valid W3C traceparent header, so logs join the caller's trace.
    childLoggerFactory: (logger, bindings, childOptions, rawRequest) =>
      logger.child({ ...bindings, ...requestIds(rawRequest) }, childOptions),
    frameworkErrors: (error, request, reply) => {
      const answer = toErrorReply(error);
      request.log.info({ code: error.code }, 'request refused by the framework');
      // frameworkErrors is typed generically over the route's reply schema; ours is the fixed error body.
      const raw = reply as unknown as {
        code(n: number): typeof raw;
        headers(h: object): typeof raw;
        send(b: unknown): unknown;
      };
      void raw.code(answer.status).headers(answer.headers).send(answer.body);
    },
  }) as unknown as HttpApp;

  // Requests that still arrive while closing (pipelined or on a kept-alive connection) are shed with 503 so the
  // load balancer retries them elsewhere.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });

  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    if (closing) {
      void reply
        .code(503)
        .header('connection', 'close')
        .send({ error: { code: 'INTERNAL_ERROR', message: 'Service unavailable', details: {} } });
      return;
    }
    done();
  });

  if (tracing !== undefined) {
    // Handlers run inside the request's server span (a hook's context does not survive body parsing).
    app.addHook('onRoute', (route) => {
      const handler = route.handler;
      route.handler = function tracedHandler(this: unknown, request, reply) {
        const span = spans.get(request.raw);
        if (span === undefined) return handler.call(this as never, request, reply);
        span.updateName(`${request.method} ${route.url}`);
        span.setAttribute('http.route', route.url);
        return tracing.withSpan(span, () => handler.call(this as never, request, reply));
      };
    });
    app.addHook('onResponse', (request, reply, done) => {
      const span = spans.get(request.raw);
      if (span !== undefined) {
        spans.delete(request.raw);
        span.setAttribute('http.response.status_code', reply.statusCode);
        if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
      done();
    });
  }

  app.addHook('onResponse', (request, reply, done) => {
    httpMetrics.observe({
      method: request.method,
      route: request.is404 ? undefined : request.routeOptions.url,
      statusCode: reply.statusCode,
      durationSeconds: reply.elapsedTime / 1000,
    });
    done();
  });

  app.setErrorHandler((error, request, reply) => {
    const answer = toErrorReply(error);
    if (answer.internal) request.log.error({ err: error }, 'request failed');
    void reply.code(answer.status).headers(answer.headers).send(answer.body);
  });

  app.setNotFoundHandler((_request, reply) => {
    const answer = HttpError.notFound('Route not found');
    void reply.code(answer.status).send(answer.toBody());
  });

  return app;
}
