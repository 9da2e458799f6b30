// The messages between a fleet split over processes (fleet-processes.ts) and each of its child processes
// (fleet-child.ts), and the part of a fleet's summary that can be merged across processes.
import type { BotFleet, FleetOptions, FleetProgress, FleetSummary } from './bot-fleet.ts';

/** What a child needs to run its part of the fleet (JSON: no functions, hashes as base64). */
export type ShardInit = Omit<FleetOptions, 'connector' | 'tracer'> & {
  readonly certificateHashes: readonly string[];
};

/** One child's summary with what merging needs: the latency reservoir and the raw recovery durations. */
export interface ShardReport {
  readonly summary: FleetSummary;
  readonly latency: { readonly samples: readonly number[]; readonly count: number; readonly max: number };
  readonly recoveryDurations: readonly number[];
  /** Frames received on streams with expected counts (the numerator of `loss`). */
  readonly receivedCounted: number;
}

export type ParentMessage =
  | { readonly type: 'start'; readonly init: ShardInit }
  | { readonly type: 'progress' | 'counts' | 'report'; readonly id: number }
  | { readonly type: 'close' };

export type ChildMessage =
  | { readonly type: 'ready' | 'joined' | 'closed' }
  | { readonly type: 'progress'; readonly id: number; readonly progress: FleetProgress }
  | {
      readonly type: 'counts';
      readonly id: number;
      readonly bots: readonly { readonly sent: number; readonly received: number }[];
    }
  | { readonly type: 'report'; readonly id: number; readonly report: ShardReport };

const PARENT_TYPES = new Set(['start', 'progress', 'counts', 'report', 'close']);
const CHILD_TYPES = new Set(['ready', 'joined', 'closed', 'progress', 'counts', 'report']);

function typed(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const type = (message as { type?: unknown }).type;
  return typeof type === 'string' ? type : undefined;
}

export function isParentMessage(message: unknown): message is ParentMessage {
  return PARENT_TYPES.has(typed(message) ?? '');
}

export function isChildMessage(message: unknown): message is ChildMessage {
  return CHILD_TYPES.has(typed(message) ?? '');
}

export function shardReport(fleet: BotFleet): ShardReport {
  const recoveryDurations: number[] = [];
  let receivedCounted = 0;
  for (const b of fleet.bots) {
    for (const r of b.recoveries) recoveryDurations.push(r.durationMs);
    receivedCounted += b.streamCounts.received;
  }
  const p = fleet.latency.percentiles();
  return {
    summary: fleet.summary(),
    latency: { samples: fleet.latency.samples, count: p.count, max: p.max },
    recoveryDurations,
    receivedCounted,
  };
}
