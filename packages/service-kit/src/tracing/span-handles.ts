import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { Tracing } from './tracing.ts';

/**
 * A span reduced to what a caller without OpenTelemetry needs: its W3C `traceparent` to send on, attributes, end.
 * Structurally the client SDK's `ClientSpan`, so the SDK takes OpenTelemetry spans without depending on it.
 */
export interface SpanHandle {
  readonly traceparent: string;
  setAttribute(key: string, value: string | number | boolean): void;
  /** Ends the span; an error marks it failed. Idempotent. */
  end(error?: unknown): void;
}

/** Starts spans as {@link SpanHandle}s: the root of a new trace without a parent, else a child of `parent`. */
export interface SpanHandleTracer {
  startSpan(name: string, parent?: SpanHandle): SpanHandle;
}

/**
 * Adapts a {@link Tracing} to {@link SpanHandleTracer} (the client SDK's `ClientTracer`): bots, the CLI and tests
 * in Node export the client's spans (join_meeting, webtransport_connect, ...) with the services' exporters.
 */
export function spanHandleTracer(tracing: Tracing): SpanHandleTracer {
  return {
    startSpan(name, parent) {
      const span = tracing.startSpan(name, {
        kind: SpanKind.CLIENT,
        // A missing parent must start a new trace, not join whatever span happens to be active in this process.
        traceparent: parent?.traceparent ?? '',
      });
      return handleOf(span);
    },
  };
}

function handleOf(span: Span): SpanHandle {
  const ctx = span.spanContext();
  const traceparent = `00-${ctx.traceId}-${ctx.spanId}-${ctx.traceFlags.toString(16).padStart(2, '0')}`;
  let ended = false;
  return {
    traceparent,
    setAttribute(key, value) {
      span.setAttribute(key, value);
    },
    end(error) {
      if (ended) return;
      ended = true;
      if (error !== undefined) {
        const message = error instanceof Error ? error.message : describe(error);
        span.recordException(error instanceof Error ? error : message);
        span.setStatus({ code: SpanStatusCode.ERROR, message });
      }
      span.end();
    },
  };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    const json = JSON.stringify(value) as string | undefined;
    return json ?? typeof value;
  } catch {
    return typeof value;
  }
}
