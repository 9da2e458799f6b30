// Tracing as the SDK needs it, without OpenTelemetry in the browser bundle: a span gives its W3C `traceparent`
// (sent to the services in the join request's HTTP header, ClientMessage.traceparent and
// MediaClientMessage.traceparent, so their spans join the client's trace) and is ended. In Node, service-kit's
// `spanHandleTracer(tracing)` is a ClientTracer over OpenTelemetry; in a page, `traceContextTracer` makes the ids
// and hands finished spans to a callback.

export interface ClientSpan {
  /** `00-<trace id>-<span id>-<flags>` (https://www.w3.org/TR/trace-context/#traceparent-header). */
  readonly traceparent: string;
  setAttribute(key: string, value: string | number | boolean): void;
  /** Ends the span; an error marks it failed. Idempotent. */
  end(error?: unknown): void;
}

export interface ClientTracer {
  /** A child of `parent`, or the root of a new trace. */
  startSpan(name: string, parent?: ClientSpan): ClientSpan;
}

/** A span ended by {@link traceContextTracer}. */
export interface FinishedClientSpan {
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  readonly error: string | undefined;
}

function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  // All zeros is an invalid id (W3C); 2^-64 at worst, but cheap to rule out.
  return /^0+$/.test(s) ? randomHex(bytes) : s;
}

/**
 * A ClientTracer without dependencies: W3C ids from `crypto.getRandomValues`, every span sampled, each finished
 * span handed to `onEnd` (e.g. to post to a collector, or to show in a debug panel).
 */
export function traceContextTracer(
  onEnd: (span: FinishedClientSpan) => void = () => undefined,
): ClientTracer {
  return {
    startSpan(name, parent) {
      const traceId = parent?.traceparent.slice(3, 35) ?? randomHex(16);
      const parentSpanId = parent?.traceparent.slice(36, 52);
      const spanId = randomHex(8);
      const startMs = Date.now();
      const attributes: Record<string, string | number | boolean> = {};
      let ended = false;
      return {
        traceparent: `00-${traceId}-${spanId}-01`,
        setAttribute(key, value) {
          attributes[key] = value;
        },
        end(error) {
          if (ended) return;
          ended = true;
          onEnd({
            name,
            traceId,
            spanId,
            parentSpanId,
            startMs,
            endMs: Date.now(),
            attributes: { ...attributes },
            error: error === undefined ? undefined : error instanceof Error ? error.message : 'error',
          });
        },
      };
    },
  };
}
