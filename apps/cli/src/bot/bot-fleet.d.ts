import type { Connector, LayoutSpec } from '@darktower/client';
import { Bot, type PublishMode } from './bot.ts';
import { LatencySamples, type Percentiles } from './stats.ts';
export interface FleetOptions {
  readonly baseUrl: string;
  /** Meeting codes or ids; bot i joins meetings[i % meetings.length]. */
  readonly meetings: readonly string[];
  readonly count: number;
  readonly connector: Connector;
  readonly publish: PublishMode;
  readonly namePrefix?: string;
  readonly joinConcurrency?: number;
  readonly videoFps?: number;
  readonly audioFps?: number;
  readonly videoBytes?: number;
  readonly reconnectAttempts?: number;
  readonly reconnectDelayMs?: number;
  /** Video subscription layout; default a grid big enough for the other bots of a meeting (at most 4x4). */
  readonly layout?: LayoutSpec;
}
export interface FleetProgress {
  readonly elapsedS: number;
  readonly bots: number;
  readonly joined: number;
  readonly reconnecting: number;
  readonly failed: number;
  readonly framesSent: number;
  readonly framesReceived: number;
}
export interface FleetSummary {
  readonly meetings: readonly string[];
  readonly bots: number;
  readonly joined: number;
  readonly failedJoins: number;
  readonly lostDuringRun: number;
  readonly framesSent: number;
  readonly framesReceived: number;
  readonly framesExpected: number;
  readonly corruptFrames: number;
  /** 1 - received/expected over every received stream (0 when nothing was expected). */
  readonly loss: number;
  readonly latencyMs: Percentiles;
  readonly recoveries: number;
  readonly recoveryMs: Omit<Percentiles, 'count'>;
  readonly participantIdsKept: boolean;
  readonly durationS: number;
  readonly errors: readonly string[];
}
export declare function errorText(error: unknown): string;
export declare class BotFleet implements AsyncDisposable {
  #private;
  readonly bots: Bot[];
  readonly latency: LatencySamples;
  constructor(options: FleetOptions);
  /** Joins every bot (bounded concurrency); failures are counted, not thrown. */
  join(signal?: AbortSignal): Promise<void>;
  progress(): FleetProgress;
  /** Resolves when `predicate` holds (checked every 50 ms) or rejects after `timeoutMs`. */
  until(predicate: (fleet: BotFleet) => boolean, timeoutMs: number, what?: string): Promise<number>;
  summary(): FleetSummary;
  /** Every bot leaves. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
//# sourceMappingURL=bot-fleet.d.ts.map
