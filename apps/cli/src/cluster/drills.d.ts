import type { Cluster, ServiceProcess } from './cluster.ts';
import { type CreatedMeeting, type HostSession } from './cluster-client.ts';
export type DrillScale = 'short' | 'full';
export interface DrillResult {
  readonly name: string;
  /** The recovery-time target, ms. */
  readonly targetMs: number;
  /** The measured recovery time (the p95 where there are many), ms. */
  readonly recoveryMs: number;
  readonly details: Record<string, unknown>;
  /** Everything that went wrong; empty when the drill passed. */
  readonly problems: string[];
}
export interface DrillContext {
  readonly cluster: Cluster;
  readonly host: HostSession;
  readonly scale: DrillScale;
  readonly log?: (line: string) => void;
}
/** The meeting controller a meeting was placed on (by its WebTransport port). */
export declare function controllerOf(cluster: Cluster, meeting: CreatedMeeting): ServiceProcess;
/** Kill a Global Controller under API load: zero failed requests (the front retries on the other instance). */
export declare function killGlobalController(ctx: DrillContext): Promise<DrillResult>;
/** Kill the Meeting Controller hosting a meeting: every bot resumes (same participant id) on a controller. */
export declare function killMeetingController(ctx: DrillContext): Promise<DrillResult>;
/** Restart Redis (SIGKILL, start again on the same port and data): meetings continue, nobody is lost. */
export declare function restartRedis(ctx: DrillContext): Promise<DrillResult>;
/** PostgreSQL unreachable (the relay cut) then back: in-flight meetings unaffected, the API 503s then recovers. */
export declare function restartPostgres(ctx: DrillContext): Promise<DrillResult>;
/**
 * Kill the Media Handler that carries a meeting's media: streams should fail over to another handler. Recovery is
 * from the kill until every bot receives frames again from every other bot; frames lost are the gaps in the
 * frame numbers over the run.
 */
export declare function killMediaHandler(ctx: DrillContext): Promise<DrillResult>;
/**
 * One participant's network drops (every packet to and from it vanishes) for 15 s (short: 6 s), then comes back:
 * it resumes with the same participant id and receives every other participant's streams again.
 */
export declare function clientNetworkDrop(ctx: DrillContext): Promise<DrillResult>;
export declare const DRILLS: {
  readonly 'kill-gc': typeof killGlobalController;
  readonly 'kill-mc': typeof killMeetingController;
  readonly 'restart-redis': typeof restartRedis;
  readonly 'restart-postgres': typeof restartPostgres;
  readonly 'kill-mh': typeof killMediaHandler;
  readonly 'network-drop': typeof clientNetworkDrop;
};
export declare function formatDrill(r: DrillResult): string;
//# sourceMappingURL=drills.d.ts.map
