import type { ControllerId } from '../domain/ids.ts';
import type { ControllerHealth } from './controller.ts';
import { rendezvousScore } from './rendezvous-hash.ts';

export interface AssignmentCandidate {
  readonly id: ControllerId;
  readonly region: string;
  readonly health: ControllerHealth;
  /** Meetings it runs now, including ones assigned since its last heartbeat. */
  readonly load: number;
  readonly maxMeetings: number;
}

export interface AssignmentOptions {
  /** The caller's region; controllers there are preferred, others are used only when none there can take it. */
  readonly region: string;
  /**
   * Load bound factor c of "consistent hashing with bounded loads": no controller takes a new meeting while its load
   * is above c × the average (of the pool, after this meeting). 1.25 keeps hashing stable yet the spread tight.
   */
  readonly loadFactor?: number;
  /** Controllers to leave out (already tried and unreachable, or the dead owner being replaced). */
  readonly exclude?: ReadonlySet<string>;
}

export type AssignmentDecision =
  | { readonly kind: 'assigned'; readonly controllerId: ControllerId; readonly region: string }
  | { readonly kind: 'no-capacity'; readonly consideredControllers: number };

/**
 * Picks a controller for a new (or orphaned) meeting. Pure: the same inputs give the same choice on every instance.
 *
 * Pools are tried in order: healthy in the caller's region, degraded in region, healthy elsewhere, degraded elsewhere.
 * Unhealthy controllers never receive meetings. Within a pool, candidates are ranked by rendezvous score of
 * (meeting, controller); the first one whose load is under both the bound and its own maximum wins. When hashing
 * finds none under the bound (a skewed pool), the least-loaded one with room is taken.
 */
export function chooseController(
  meetingKey: string,
  candidates: readonly AssignmentCandidate[],
  options: AssignmentOptions,
): AssignmentDecision {
  const c = options.loadFactor ?? 1.25;
  if (!(c >= 1)) throw new RangeError('loadFactor must be >= 1');
  const usable = candidates.filter((x) => x.health !== 'unhealthy' && !(options.exclude?.has(x.id) ?? false));
  const inRegion = (x: AssignmentCandidate): boolean => x.region === options.region;
  const pools: AssignmentCandidate[][] = [
    usable.filter((x) => inRegion(x) && x.health === 'healthy'),
    usable.filter((x) => inRegion(x) && x.health === 'degraded'),
    usable.filter((x) => !inRegion(x) && x.health === 'healthy'),
    usable.filter((x) => !inRegion(x) && x.health === 'degraded'),
  ];
  for (const pool of pools) {
    const picked = pickFromPool(meetingKey, pool, c);
    if (picked) return { kind: 'assigned', controllerId: picked.id, region: picked.region };
  }
  return { kind: 'no-capacity', consideredControllers: usable.length };
}

function pickFromPool(
  meetingKey: string,
  pool: readonly AssignmentCandidate[],
  c: number,
): AssignmentCandidate | undefined {
  const withRoom = pool.filter((x) => x.load < x.maxMeetings);
  if (withRoom.length === 0) return undefined;
  const totalAfter = withRoom.reduce((sum, x) => sum + x.load, 0) + 1;
  const bound = Math.ceil((totalAfter / withRoom.length) * c);
  const ranked = withRoom
    .map((x) => ({ x, score: rendezvousScore(meetingKey, x.id) }))
    .sort((a, b) => (a.score === b.score ? compareIds(a.x.id, b.x.id) : a.score > b.score ? -1 : 1));
  for (const { x } of ranked) {
    if (x.load + 1 <= bound) return x;
  }
  // Unreachable while bound >= average, kept as a guard for rounding: fall back to least loaded.
  return withRoom.reduce((best, x) =>
    x.load < best.load || (x.load === best.load && x.id < best.id) ? x : best,
  );
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
