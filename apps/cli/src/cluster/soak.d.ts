import type { FleetSummary } from '../bot/bot-fleet.ts';
export interface SoakOptions {
  readonly bots: number;
  readonly meetings: number;
  readonly durationS: number;
  /** Share of the run before the memory baseline is taken (default 0.2). */
  readonly warmUp?: number;
  readonly sampleEveryS?: number;
  readonly dir?: string;
  readonly log?: (line: string) => void;
}
export interface SoakReport {
  readonly bots: number;
  readonly meetings: number;
  readonly durationS: number;
  /** Per process: RSS (MiB) at the end of warm-up and at the end, and growth in %. */
  readonly memory: Record<
    string,
    {
      baselineMiB: number;
      endMiB: number;
      growthPct: number;
      samples: number;
    }
  >;
  readonly maxGrowthPct: number;
  readonly errors: readonly string[];
  readonly frontFailures: number;
  /** Frames received / frames sent times the receivers in the publisher's meeting. */
  readonly deliveryRatio: number;
  readonly fleet: FleetSummary;
}
export declare function runSoak(o: SoakOptions): Promise<SoakReport>;
//# sourceMappingURL=soak.d.ts.map
