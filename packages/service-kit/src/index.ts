// @darktower/service-kit: what every Dark Tower service shares.
export { ConfigError, isConfigError, type ConfigErrorCode, type ConfigIssue } from './config-error.ts';
export {
  field,
  type ConfigOf,
  type ConfigSchema,
  type Field,
  type FieldOptions,
  type FieldResult,
  type IntOptions,
  type StringOptions,
  type UrlOptions,
  type DurationOptions,
  type ListOptions,
  type SecretOptions,
} from './config-schema.ts';
export { loadConfig, envNameFor, type LoadConfigOptions } from './load-config.ts';
export { Secret } from './secret.ts';
export { parseDuration } from './duration.ts';

export {
  createLogger,
  type CreateLoggerOptions,
  type Logger,
  type LogLevel,
  type LogContext,
} from './logger.ts';
export { createRedactor, DEFAULT_SECRET_KEYS, REDACTED } from './redact.ts';

export {
  createMetrics,
  type CreateMetricsOptions,
  type Metrics,
  type MetricSpec,
  type GaugeSpec,
  type HistogramSpec,
} from './metrics.ts';
export { sampleValue } from './metrics-text.ts';
export {
  createHttpMetrics,
  HTTP_LATENCY_BUCKETS,
  UNMATCHED_ROUTE,
  type HttpMetrics,
  type HttpObservation,
} from './http-metrics.ts';

export {
  Readiness,
  type CheckFn,
  type CheckResult,
  type ReadinessCheck,
  type ReadinessOptions,
  type ReadinessReport,
} from './readiness.ts';
export { createOpsServer, type BoundAddress, type OpsServer, type OpsServerOptions } from './ops-server.ts';

export {
  HttpError,
  isHttpError,
  HTTP_ERROR_CODES,
  type ErrorBody,
  type HttpErrorCode,
  type HttpErrorOptions,
} from './http-error.ts';
export { toErrorReply, type ErrorReply } from './error-reply.ts';
export { createHttpApp, type CreateHttpAppOptions, type HttpApp } from './http-app.ts';
export { parseTraceparent, type TraceIds } from './trace-context.ts';
export {
  createTracing,
  type CreateTracingOptions,
  type SpanOptions,
  type Tracing,
} from './tracing/tracing.ts';
export {
  TRACE_EXPORTERS,
  batchOptionsFromEnv,
  otlpSettingsFromEnv,
  samplerFromEnv,
  traceExporterFromEnv,
  type TraceExporterKind,
} from './tracing/tracing-env.ts';
export {
  JsonLinesSpanExporter,
  toSpanRecord,
  type LineSink,
  type SpanRecord,
} from './tracing/json-lines-exporter.ts';
export {
  clientTraceInterceptor,
  serverTraceInterceptor,
  type RpcRequestLike,
} from './tracing/rpc-interceptors.ts';
export { spanHandleTracer, type SpanHandle, type SpanHandleTracer } from './tracing/span-handles.ts';

export { Scope, type Cleanup, type CleanupErrorHandler, type Lifetime, type ScopeOptions } from './scope.ts';
export {
  installGracefulShutdown,
  type GracefulShutdown,
  type GracefulShutdownOptions,
  type ShutdownStep,
} from './graceful-shutdown.ts';

export {
  TypedEmitter,
  type EventMap,
  type Listener,
  type ListenerErrorHandler,
  type TypedEmitterOptions,
} from './typed-emitter.ts';
export { deadline, withTimeout, isTimeoutError, timeoutError, type Deadline } from './deadline.ts';
export { delay } from './delay.ts';
