import { closeSync, openSync, writeSync } from 'node:fs';
import {
  ROOT_CONTEXT,
  SpanStatusCode,
  context as globalContext,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation as globalPropagation,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanKind,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  TracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import type { TraceIds } from '../trace-context.ts';
import { JsonLinesSpanExporter, type LineSink } from './json-lines-exporter.ts';
import {
  batchOptionsFromEnv,
  otlpSettingsFromEnv,
  samplerFromEnv,
  type TraceExporterKind,
} from './tracing-env.ts';

export interface CreateTracingOptions {
  /** `service.name` of every span (`OTEL_SERVICE_NAME` wins when set). */
  serviceName: string;
  /** `none` (spans and ids for propagation and logs, nothing exported), `console` (JSON lines on stderr),
   *  `file` (JSON lines appended to `filePath`), `otlp` (OTLP/HTTP, configured by the standard variables). */
  exporter: TraceExporterKind;
  filePath?: string;
  /** Where `console` writes; defaults to stderr (stdout carries the logs). */
  consoleSink?: LineSink;
  /** Environment for OTEL_* settings (sampler, OTLP endpoint/headers/timeout, service name); default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Also install as the process-wide OpenTelemetry provider, context manager and propagator, for libraries that
   *  use the global API. Off by default: nothing else in service-kit needs globals. */
  registerGlobal?: boolean;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
}

/** Tracing of one service: a tracer, the active span across async calls, W3C trace context in and out. */
export interface Tracing {
  readonly serviceName: string;
  readonly exporter: TraceExporterKind;
  readonly tracer: Tracer;
  /**
   * Runs `fn` inside a new span, child of the active one; ends it when `fn` returns or settles, recording a thrown
   * error or rejection as the span's error status.
   */
  startActiveSpan<T>(name: string, fn: (span: Span) => T, options?: SpanOptions): T;
  /**
   * Starts a span without making it active: child of the remote span of `traceparent` when one is given and valid,
   * else of the active span. End it yourself; run code inside it with {@link Tracing.withSpan}.
   */
  startSpan(name: string, options?: SpanOptions & { traceparent?: string | undefined }): Span;
  /** Runs `fn` with `span` as the active span. */
  withSpan<T>(span: Span, fn: () => T): T;
  /** The active span's `traceparent` (for `ClientMessage.traceparent`, RPC and HTTP headers), if any. */
  injectTraceparent(): string | undefined;
  /** Adds `traceparent` (and `tracestate`) of the active span to a header object; returns it. */
  injectHeaders<H extends Record<string, string>>(
    headers: H,
  ): H & { traceparent?: string; tracestate?: string };
  /**
   * Runs `fn` with the remote span of `traceparent` as parent, so spans started inside join the caller's trace.
   * A missing or malformed traceparent starts a new trace instead (never throws on hostile input).
   */
  withRemoteParent<T>(traceparent: string | undefined, fn: () => T, tracestate?: string): T;
  /** trace_id/span_id of the active span, for log lines. */
  activeIds(): TraceIds | undefined;
  /** Exports every finished span now. */
  flush(): Promise<void>;
  /** Flushes and stops exporting; idempotent. */
  close(): Promise<void>;
  readonly closed: Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Creates the tracing of one service. Each call is independent: no module-level state unless `registerGlobal`. */
export function createTracing(options: CreateTracingOptions): Tracing {
  const env = options.env ?? process.env;
  const serviceName = env.OTEL_SERVICE_NAME ?? options.serviceName;
  const processors: SpanProcessor[] = [];
  const exporter = buildExporter(options, env);
  if (exporter !== undefined) {
    // OTLP batches (network); the JSON-lines exporters write each span as it ends (tests and tail -f see it).
    processors.push(
      options.exporter === 'otlp'
        ? new BatchSpanProcessor({ exporter, ...batchOptionsFromEnv(env) })
        : new SimpleSpanProcessor({ exporter }),
    );
  }
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    sampler: samplerFromEnv(env),
    spanProcessors: processors,
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  const propagator = new W3CTraceContextPropagator();
  const tracer = provider.getTracer('@darktower/service-kit');
  if (options.registerGlobal === true) {
    trace.setGlobalTracerProvider(provider);
    globalContext.setGlobalContextManager(contextManager);
    globalPropagation.setGlobalPropagator(propagator);
  }

  let closing: Promise<void> | undefined;
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  const activeSpan = (): Span | undefined => trace.getSpan(contextManager.active());

  const tracing: Tracing = {
    serviceName,
    exporter: options.exporter,
    tracer,
    startActiveSpan<T>(name: string, fn: (span: Span) => T, spanOptions: SpanOptions = {}): T {
      const parent = contextManager.active();
      const span = tracer.startSpan(name, spanOptions, parent);
      const fail = (error: unknown): void => {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
      };
      let result: T;
      try {
        result = contextManager.with(trace.setSpan(parent, span), () => fn(span));
      } catch (error) {
        fail(error);
        span.end();
        throw error;
      }
      if (result instanceof Promise) {
        return result.then(
          (value: unknown) => {
            span.end();
            return value;
          },
          (error: unknown) => {
            fail(error);
            span.end();
            throw error;
          },
        ) as T;
      }
      span.end();
      return result;
    },
    startSpan(name, spanOptions = {}) {
      const { traceparent, ...rest } = spanOptions;
      const parent =
        traceparent === undefined ? contextManager.active() : remoteContext(propagator, traceparent);
      return tracer.startSpan(name, rest, parent);
    },
    withSpan(span, fn) {
      return contextManager.with(trace.setSpan(contextManager.active(), span), fn);
    },
    injectTraceparent() {
      return inject(propagator, contextManager.active()).traceparent;
    },
    injectHeaders(headers) {
      const carrier = inject(propagator, contextManager.active());
      return Object.assign(headers, carrier);
    },
    withRemoteParent(traceparent, fn, tracestate) {
      return contextManager.with(remoteContext(propagator, traceparent, tracestate), fn);
    },
    activeIds() {
      const ctx = activeSpan()?.spanContext();
      if (ctx === undefined || !trace.isSpanContextValid(ctx)) return undefined;
      return { trace_id: ctx.traceId, span_id: ctx.spanId };
    },
    flush: () => provider.forceFlush(),
    close() {
      closing ??= (async () => {
        try {
          await provider.shutdown();
        } finally {
          contextManager.disable();
          resolveClosed();
        }
      })();
      return closing;
    },
    closed,
    [Symbol.asyncDispose]() {
      return tracing.close();
    },
  };
  return tracing;
}

/** The context of a remote parent; the root context (a new trace) for a missing or malformed traceparent. */
function remoteContext(
  propagator: W3CTraceContextPropagator,
  traceparent: unknown,
  tracestate?: unknown,
): Context {
  const carrier: Record<string, string> = {};
  if (typeof traceparent === 'string' && traceparent.length <= 256) carrier.traceparent = traceparent;
  if (typeof tracestate === 'string' && tracestate.length <= 512) carrier.tracestate = tracestate;
  return propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
}

function inject(propagator: W3CTraceContextPropagator, ctx: Context): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  return carrier;
}

function buildExporter(
  options: CreateTracingOptions,
  env: Readonly<Record<string, string | undefined>>,
): SpanExporter | undefined {
  switch (options.exporter) {
    case 'none':
      return undefined;
    case 'console':
      return new JsonLinesSpanExporter(options.consoleSink ?? process.stderr);
    case 'file': {
      if (options.filePath === undefined || options.filePath === '') {
        throw new TypeError('createTracing: exporter "file" needs filePath');
      }
      // Synchronous appends: every ended span is in the file when end() returns, and nothing is lost at a crash.
      const fd = openSync(options.filePath, 'a', 0o600);
      return new JsonLinesSpanExporter({ write: (line: string) => writeSync(fd, line) }, () => {
        closeSync(fd);
        return Promise.resolve();
      });
    }
    case 'otlp': {
      const { url, headers, timeoutMillis } = otlpSettingsFromEnv(env);
      return new OTLPTraceExporter({ url, headers, timeoutMillis });
    }
  }
}
