import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const LINT_FAILING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

export interface CreateMetricsOptions {
  /** Prepended to every metric name created through the helpers, e.g. `dt_mc_`. */
  prefix?: string;
  /** Labels added to every series of this registry (e.g. `{ service: 'mc', region: 'eu-west' }`). */
  defaultLabels?: Readonly<Record<string, string>>;
  /** Also export Node process metrics (CPU, memory, event loop lag, GC) on this registry. Default false. */
  processMetrics?: boolean;
}

/** Definition of one metric. Keep label values bounded: no ids, raw URLs or user input (ADR-0011). */
export interface MetricSpec<L extends string> {
  /** Name without the prefix; `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
  name: string;
  help: string;
  labelNames?: readonly L[];
}

export interface GaugeSpec<L extends string> extends MetricSpec<L> {
  /** Called at every scrape before the gauge is read: set it from the current state here (no stale values). */
  collect?: (gauge: Gauge<L>) => void;
}

export interface HistogramSpec<L extends string> extends MetricSpec<L> {
  /** Bucket upper bounds; prom-client defaults when absent. */
  buckets?: readonly number[];
}

/** A private Prometheus registry with typed metric factories. Never touches prom-client's global registry. */
export interface Metrics {
  readonly registry: Registry;
  readonly prefix: string;
  /** Content type of {@link Metrics.render}'s output (Prometheus text format 0.0.4). */
  readonly contentType: string;
  counter<L extends string = never>(spec: MetricSpec<L>): Counter<L>;
  gauge<L extends string = never>(spec: GaugeSpec<L>): Gauge<L>;
  histogram<L extends string = never>(spec: HistogramSpec<L>): Histogram<L>;
  /** The registry in Prometheus text format. */
  render(): Promise<string>;
}

function checkSpec(prefix: string, spec: MetricSpec<string>): string {
  const name = prefix + spec.name;
  if (!METRIC_NAME.test(name)) throw new TypeError(`metrics: invalid metric name ${JSON.stringify(name)}`);
  for (const label of spec.labelNames ?? []) {
    if (!LABEL_NAME.test(label) || label.startsWith('__')) {
      throw new TypeError(`metrics: invalid label name ${JSON.stringify(label)} on ${name}`);
    }
  }
  return name;
}

/**
 * Creates a metrics registry of its own (so two services, or two tests, in one process never share series)
 * with helpers to create counters, gauges and histograms on it.
 */
export function createMetrics(options: CreateMetricsOptions = {}): Metrics {
  const registry = new Registry();
  const prefix = options.prefix ?? '';
  if (prefix !== '' && !METRIC_NAME.test(prefix))
    throw new TypeError(`metrics: invalid prefix ${JSON.stringify(prefix)}`);
  if (options.defaultLabels !== undefined) {
    for (const label of Object.keys(options.defaultLabels))
      checkSpec('', { name: 'x', help: '', labelNames: [label] });
    registry.setDefaultLabels({ ...options.defaultLabels });
  }
  if (options.processMetrics === true) {
    collectDefaultMetrics({ register: registry, prefix });
    // prom-client exports these three gauges with a counter's `_total` suffix, which `promtool check metrics`
    // rejects; the same numbers stay available per type as `nodejs_active_{handles,requests,resources}`.
    for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(prefix + name);
  }

  return {
    registry,
    prefix,
    contentType: registry.contentType,
    counter<L extends string = never>(spec: MetricSpec<L>): Counter<L> {
      const name = checkSpec(prefix, spec);
      return new Counter<L>({
        name,
        help: spec.help,
        labelNames: spec.labelNames ?? [],
        registers: [registry],
      });
    },
    gauge<L extends string = never>(spec: GaugeSpec<L>): Gauge<L> {
      const name = checkSpec(prefix, spec);
      const collect = spec.collect;
      return new Gauge<L>({
        name,
        help: spec.help,
        labelNames: spec.labelNames ?? [],
        registers: [registry],
        ...(collect === undefined
          ? {}
          : {
              collect(this: Gauge<L>) {
                collect(this);
              },
            }),
      });
    },
    histogram<L extends string = never>(spec: HistogramSpec<L>): Histogram<L> {
      const name = checkSpec(prefix, spec);
      return new Histogram<L>({
        name,
        help: spec.help,
        labelNames: spec.labelNames ?? [],
        ...(spec.buckets === undefined ? {} : { buckets: [...spec.buckets] }),
        registers: [registry],
      });
    },
    render: () => registry.metrics(),
  };
}
