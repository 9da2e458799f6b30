import type { Metrics } from './metrics.ts';

/** Route label for requests that matched no route: raw URLs never become labels. */
export const UNMATCHED_ROUTE = '__unmatched__';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** One finished HTTP request. `route` is the route template (`/v1/meetings/:id`), never the raw URL. */
export interface HttpObservation {
  method: string;
  route: string | undefined;
  statusCode: number;
  durationSeconds: number;
}

/** Request rate, latency and errors by method, route template and status. */
export interface HttpMetrics {
  observe(observation: HttpObservation): void;
}

/** Latency buckets in seconds, from 5 ms to 10 s. */
export const HTTP_LATENCY_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * Registers `http_requests_total`, `http_request_duration_seconds` and `http_request_errors_total` on `metrics`.
 * Label values are bounded: unknown methods become `OTHER`, missing routes {@link UNMATCHED_ROUTE}.
 */
export function createHttpMetrics(metrics: Metrics): HttpMetrics {
  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests = metrics.counter({
    name: 'http_requests_total',
    help: 'HTTP requests handled',
    labelNames,
  });
  const latency = metrics.histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency in seconds',
    labelNames,
    buckets: HTTP_LATENCY_BUCKETS,
  });
  const errors = metrics.counter({
    name: 'http_request_errors_total',
    help: 'HTTP requests answered with a 4xx or 5xx status',
    labelNames: ['method', 'route', 'status_class'] as const,
  });
  return {
    observe({ method, route, statusCode, durationSeconds }) {
      const m = METHODS.has(method) ? method : 'OTHER';
      const r = route === undefined || route === '' ? UNMATCHED_ROUTE : route;
      const status = Number.isInteger(statusCode) && statusCode >= 100 && statusCode <= 599 ? statusCode : 0;
      const labels = { method: m, route: r, status_code: String(status) };
      requests.inc(labels);
      if (Number.isFinite(durationSeconds) && durationSeconds >= 0) latency.observe(labels, durationSeconds);
      if (status >= 400) errors.inc({ method: m, route: r, status_class: status >= 500 ? '5xx' : '4xx' });
    },
  };
}
