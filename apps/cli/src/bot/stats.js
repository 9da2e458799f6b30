/** Keeps at most `capacity` samples (reservoir sampling), so a long run never grows without bound. */
export class LatencySamples {
  #capacity;
  #samples = [];
  #seen = 0;
  #max = 0;
  constructor(capacity = 100_000) {
    this.#capacity = capacity;
  }
  add(value) {
    if (!Number.isFinite(value)) return;
    this.#seen++;
    if (value > this.#max) this.#max = value;
    if (this.#samples.length < this.#capacity) this.#samples.push(value);
    else {
      const i = Math.floor(Math.random() * this.#seen);
      if (i < this.#capacity) this.#samples[i] = value;
    }
  }
  get count() {
    return this.#seen;
  }
  percentiles() {
    return { ...percentilesOf(this.#samples), max: this.#max, count: this.#seen };
  }
}
/** Nearest-rank percentiles of `values` (0 for an empty list). */
export function percentilesOf(values) {
  if (values.length === 0) return { p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  return { p50: at(50), p95: at(95), p99: at(99), max: sorted.at(-1) ?? 0 };
}
//# sourceMappingURL=stats.js.map
