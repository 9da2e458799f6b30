import { ExportResultCode, hrTimeToMicroseconds, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';

/** Where the JSON lines go: a stream's `write`, or anything with the same shape. */
export interface LineSink {
  write(line: string): unknown;
}

/** One finished span as written by {@link JsonLinesSpanExporter} (one JSON object per line). */
export interface SpanRecord {
  trace_id: string;
  span_id: string;
  parent_span_id: string | undefined;
  name: string;
  kind: string;
  service: string | undefined;
  start_us: number;
  duration_us: number;
  status: 'unset' | 'ok' | 'error';
  status_message: string | undefined;
  attributes: Record<string, unknown>;
  events: { name: string; time_us: number; attributes: Record<string, unknown> }[];
}

const STATUS = {
  [SpanStatusCode.UNSET]: 'unset',
  [SpanStatusCode.OK]: 'ok',
  [SpanStatusCode.ERROR]: 'error',
} as const;

/** Converts a finished span to its JSON-lines record. */
export function toSpanRecord(span: ReadableSpan): SpanRecord {
  const ctx = span.spanContext();
  const service = span.resource.attributes['service.name'];
  return {
    trace_id: ctx.traceId,
    span_id: ctx.spanId,
    parent_span_id: span.parentSpanContext?.spanId,
    name: span.name,
    kind: SpanKind[span.kind].toLowerCase(),
    service: typeof service === 'string' ? service : undefined,
    start_us: hrTimeToMicroseconds(span.startTime),
    duration_us: hrTimeToMicroseconds(span.duration),
    status: STATUS[span.status.code],
    status_message: span.status.message,
    attributes: { ...span.attributes },
    events: span.events.map((e) => ({
      name: e.name,
      time_us: hrTimeToMicroseconds(e.time),
      attributes: { ...e.attributes },
    })),
  };
}

/**
 * Writes each finished span as one JSON line: the `console` (stderr) and `file` exporters of {@link createTracing},
 * readable with `jq` and by tests. Writes are synchronous on the sink, so a crash loses nothing already exported.
 */
export class JsonLinesSpanExporter implements SpanExporter {
  readonly #sink: LineSink;
  readonly #onShutdown: (() => Promise<void>) | undefined;
  #stopped = false;

  constructor(sink: LineSink, onShutdown?: () => Promise<void>) {
    this.#sink = sink;
    this.#onShutdown = onShutdown;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.#stopped) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('exporter is shut down') });
      return;
    }
    try {
      let out = '';
      for (const span of spans) out += `${JSON.stringify(toSpanRecord(span))}\n`;
      if (out !== '') this.#sink.write(out);
      resultCallback({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      resultCallback({
        code: ExportResultCode.FAILED,
        error: error instanceof Error ? error : new Error(String(error)),
      });
    }
  }

  async shutdown(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#onShutdown?.();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}
