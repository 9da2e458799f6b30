import { performance } from 'node:perf_hooks';
import { isTimeoutError, withTimeout } from './deadline.ts';
import type { Logger } from './logger.ts';

/** A dependency check: resolves when the dependency is usable, rejects (or times out) when not. */
export type CheckFn = (signal: AbortSignal) => Promise<unknown>;

/** A check, optionally with its own timeout. */
export type ReadinessCheck = CheckFn | { run: CheckFn; timeoutMs?: number };

/** Result of one check as served on `/ready`. */
export interface CheckResult {
  status: 'ok' | 'fail';
  latency_ms: number;
  error?: string;
}

/** The `/ready` body. `ready` is served with 200, the others with 503. */
export interface ReadinessReport {
  status: 'ready' | 'not_ready' | 'draining';
  checks: Record<string, CheckResult>;
}

export interface ReadinessOptions {
  /** Named checks, e.g. `{ database: (signal) => db.ping(signal) }`. Names: `[A-Za-z0-9_]{1,64}`. */
  checks?: Readonly<Record<string, ReadinessCheck>>;
  /** Per-check timeout; default 2000 ms, under the 3 s readinessProbe timeout of ADR-0012. */
  timeoutMs?: number;
  logger?: Logger;
}

const CHECK_NAME = /^[A-Za-z0-9_]{1,64}$/;
const MAX_ERROR_CHARS = 200;

function describe(error: unknown, timeoutMs: number): string {
  if (isTimeoutError(error)) return `timed out after ${timeoutMs} ms`;
  const text = error instanceof Error ? error.message : String(error);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 3)}...` : text;
}

/**
 * Runs the readiness checks of a service (ADR-0012 "Readiness Probe"), all in parallel, each with a timeout.
 * Concurrent callers share one run, so a burst of probes cannot multiply load on the dependencies.
 * Once {@link Readiness.drain} is called the report is `draining` (503) without running checks.
 */
export class Readiness {
  readonly #checks: [string, CheckFn, number][];
  readonly #logger: Logger | undefined;
  readonly #failing = new Set<string>();
  #draining = false;
  #inflight: Promise<ReadinessReport> | undefined;

  constructor(options: ReadinessOptions = {}) {
    const defaultTimeout = options.timeoutMs ?? 2000;
    this.#logger = options.logger;
    this.#checks = Object.entries(options.checks ?? {}).map(([name, check]) => {
      if (!CHECK_NAME.test(name))
        throw new TypeError(`readiness: invalid check name ${JSON.stringify(name)}`);
      return typeof check === 'function'
        ? [name, check, defaultTimeout]
        : [name, check.run, check.timeoutMs ?? defaultTimeout];
    });
  }

  /** True once draining started. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Marks the service as not ready for good (shutdown started); `/ready` answers 503 from now on. */
  drain(): void {
    this.#draining = true;
  }

  /** Runs every check (or joins the run in progress). */
  check(): Promise<ReadinessReport> {
    if (this.#draining) return Promise.resolve({ status: 'draining', checks: {} });
    this.#inflight ??= this.#runAll().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #runAll(): Promise<ReadinessReport> {
    const results = await Promise.all(
      this.#checks.map(async ([name, run, timeoutMs]): Promise<[string, CheckResult]> => {
        const start = performance.now();
        try {
          await withTimeout(run, timeoutMs);
          this.#transition(name, undefined);
          return [name, { status: 'ok', latency_ms: Math.round(performance.now() - start) }];
        } catch (error) {
          const message = describe(error, timeoutMs);
          this.#transition(name, message);
          return [
            name,
            { status: 'fail', latency_ms: Math.round(performance.now() - start), error: message },
          ];
        }
      }),
    );
    const checks = Object.fromEntries(results);
    const ready = results.every(([, r]) => r.status === 'ok');
    if (this.#draining) return { status: 'draining', checks };
    return { status: ready ? 'ready' : 'not_ready', checks };
  }

  // Log state changes only: probes run every few seconds and would otherwise flood the log.
  #transition(name: string, error: string | undefined): void {
    if (error !== undefined && !this.#failing.has(name)) {
      this.#failing.add(name);
      this.#logger?.warn({ check: name, error }, 'readiness check failing');
    } else if (error === undefined && this.#failing.delete(name)) {
      this.#logger?.info({ check: name }, 'readiness check recovered');
    }
  }
}
