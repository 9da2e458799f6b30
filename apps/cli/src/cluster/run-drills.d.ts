import { DRILLS, type DrillResult, type DrillScale } from './drills.ts';
export type DrillName = keyof typeof DRILLS;
export declare function runDrills(options: {
  readonly scale: DrillScale;
  readonly only?: readonly DrillName[];
  readonly dir?: string;
  readonly log?: (line: string) => void;
}): Promise<DrillResult[]>;
//# sourceMappingURL=run-drills.d.ts.map
