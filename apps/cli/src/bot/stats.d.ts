export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly count: number;
}
/** Keeps at most `capacity` samples (reservoir sampling), so a long run never grows without bound. */
export declare class LatencySamples {
  #private;
  constructor(capacity?: number);
  add(value: number): void;
  get count(): number;
  percentiles(): Percentiles;
}
/** Nearest-rank percentiles of `values` (0 for an empty list). */
export declare function percentilesOf(values: readonly number[]): Omit<Percentiles, 'count'>;
//# sourceMappingURL=stats.d.ts.map
