import type { HarnessOptions } from './harness.ts';

export interface SuiteTarget {
  readonly name: string;
  /** Options for a fresh harness (a fresh database). */
  setup(): Promise<HarnessOptions & { cleanup?: () => Promise<void> }>;
}

let ipCounter = 0;
/** A distinct client address per test, so per-IP limits of one test never touch another. */
export function freshIp(): string {
  ipCounter++;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}
