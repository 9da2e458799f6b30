// Latency samples and percentiles for the bot summary (nearest-rank on a bounded reservoir).
export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly count: number;
}

/** Keeps at most `capacity` samples (reservoir sampling), so a long run never grows without bound. */
export class LatencySamples {
  readonly #capacity: number;
  readonly #samples: number[] = [];
  #seen = 0;
  #max = 0;

  constructor(capacity = 100_000) {
    this.#capacity = capacity;
  }

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.#seen++;
    if (value > this.#max) this.#max = value;
    if (this.#samples.length < this.#capacity) this.#samples.push(value);
    else {
      const i = Math.floor(Math.random() * this.#seen);
      if (i < this.#capacity) this.#samples[i] = value;
    }
  }

  get count(): number {
    return this.#seen;
  }

  /** The kept samples (at most `capacity`), e.g. to merge reservoirs of several processes. */
  get samples(): readonly number[] {
    return this.#samples;
  }

  /** Adds another reservoir's samples, its count and its maximum. */
  merge(samples: readonly number[], seen: number, max: number): void {
    for (const v of samples) this.add(v);
    this.#seen += Math.max(0, seen - samples.length);
    if (max > this.#max) this.#max = max;
  }

  percentiles(): Percentiles {
    return { ...percentilesOf(this.#samples), max: this.#max, count: this.#seen };
  }
}

/** Nearest-rank percentiles of `values` (0 for an empty list). */
export function percentilesOf(values: readonly number[]): Omit<Percentiles, 'count'> {
  if (values.length === 0) return { p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  return { p50: at(50), p95: at(95), p99: at(99), max: sorted.at(-1) ?? 0 };
}
