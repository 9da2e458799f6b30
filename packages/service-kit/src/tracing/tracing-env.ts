import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace';

/** The span exporters {@link createTracing} offers. */
export const TRACE_EXPORTERS = ['none', 'console', 'file', 'otlp'] as const;
export type TraceExporterKind = (typeof TRACE_EXPORTERS)[number];

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The exporter chosen by `OTEL_TRACES_EXPORTER` (standard values `none`, `console`, `otlp`; `file` is ours and
 * needs `OTEL_TRACES_FILE`). Unset means `none`: tracing is off unless asked for.
 */
export function traceExporterFromEnv(env: Env): { exporter: TraceExporterKind; filePath?: string } {
  const raw = (env.OTEL_TRACES_EXPORTER ?? 'none').trim().toLowerCase() || 'none';
  if (!(TRACE_EXPORTERS as readonly string[]).includes(raw)) {
    throw new TypeError(
      `OTEL_TRACES_EXPORTER must be one of ${TRACE_EXPORTERS.join(', ')} (got ${JSON.stringify(raw)})`,
    );
  }
  const exporter = raw as TraceExporterKind;
  if (exporter !== 'file') return { exporter };
  const filePath = env.OTEL_TRACES_FILE;
  if (filePath === undefined || filePath === '')
    throw new TypeError('OTEL_TRACES_EXPORTER=file needs OTEL_TRACES_FILE');
  return { exporter, filePath };
}

/** The sampler of `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` (default `parentbased_always_on`). */
export function samplerFromEnv(env: Env): Sampler {
  const name = (env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on').trim().toLowerCase();
  const ratio = (): number => {
    const arg = Number(env.OTEL_TRACES_SAMPLER_ARG ?? '1');
    return Number.isFinite(arg) && arg >= 0 && arg <= 1 ? arg : 1;
  };
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    default:
      throw new TypeError(`OTEL_TRACES_SAMPLER ${JSON.stringify(name)} is not supported`);
  }
}

/**
 * OTLP/HTTP settings from the standard variables: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as is, else
 * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, else `http://localhost:4318/v1/traces`; headers from
 * `OTEL_EXPORTER_OTLP_TRACES_HEADERS` / `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k2=v2`, URL-encoded); timeout from
 * `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` / `OTEL_EXPORTER_OTLP_TIMEOUT` (ms).
 */
export function otlpSettingsFromEnv(env: Env): {
  url: string;
  headers: Record<string, string>;
  timeoutMillis: number;
} {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url =
    traces !== undefined && traces !== ''
      ? traces
      : base !== undefined && base !== ''
        ? `${base.replace(/\/+$/, '')}/v1/traces`
        : 'http://localhost:4318/v1/traces';
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`OTLP endpoint must be http(s): ${parsed.protocol}`);
  }
  const headers: Record<string, string> = {};
  const rawHeaders = env.OTEL_EXPORTER_OTLP_TRACES_HEADERS ?? env.OTEL_EXPORTER_OTLP_HEADERS ?? '';
  for (const pair of rawHeaders.split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  const timeout = Number(env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? env.OTEL_EXPORTER_OTLP_TIMEOUT ?? '10000');
  return { url, headers, timeoutMillis: Number.isFinite(timeout) && timeout > 0 ? timeout : 10_000 };
}

/** Batch span processor settings from `OTEL_BSP_*` (positive integers; others fall back to the SDK defaults). */
export function batchOptionsFromEnv(env: Env): {
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
  maxQueueSize?: number;
  maxExportBatchSize?: number;
} {
  const positive = (name: string): number | undefined => {
    const n = Number(env[name]);
    return env[name] !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
  };
  const out: Record<string, number> = {};
  const pairs = [
    ['scheduledDelayMillis', 'OTEL_BSP_SCHEDULE_DELAY'],
    ['exportTimeoutMillis', 'OTEL_BSP_EXPORT_TIMEOUT'],
    ['maxQueueSize', 'OTEL_BSP_MAX_QUEUE_SIZE'],
    ['maxExportBatchSize', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'],
  ] as const;
  for (const [key, name] of pairs) {
    const v = positive(name);
    if (v !== undefined) out[key] = v;
  }
  // The SDK requires batch <= queue; keep the batch within the queue rather than fail at start.
  if (out.maxExportBatchSize !== undefined && out.maxQueueSize !== undefined) {
    out.maxExportBatchSize = Math.min(out.maxExportBatchSize, out.maxQueueSize);
  }
  return out;
}
