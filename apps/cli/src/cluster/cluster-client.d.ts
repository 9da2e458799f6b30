import { BotFleet, type FleetOptions } from '../bot/bot-fleet.ts';
import type { Cluster } from './cluster.ts';
export interface HostSession {
  readonly token: string;
}
export declare function signUpHost(cluster: Cluster): Promise<HostSession>;
export interface CreatedMeeting {
  readonly meetingId: string;
  readonly code: string;
  readonly displayName: string;
  readonly controllerUrl: string;
}
export declare function createMeeting(
  cluster: Cluster,
  host: HostSession,
  name: string,
): Promise<CreatedMeeting>;
/** GET /api/v1/meetings/{code}: status and display name. */
export declare function getMeeting(
  cluster: Cluster,
  host: HostSession,
  code: string,
  signal?: AbortSignal,
): Promise<{
  status: number;
  displayName: string;
  meetingId: string;
}>;
export declare function fleetOn(
  cluster: Cluster,
  options: Omit<FleetOptions, 'baseUrl' | 'connector'> & {
    readonly connector?: FleetOptions['connector'];
  },
): BotFleet;
/** Row counts of the durable tables (audit log, users, meetings...) straight from PostgreSQL (not through the relay). */
export declare function durableCounts(cluster: Cluster): Promise<Record<string, number>>;
/** Tables whose row count went down between two snapshots (durable data lost). */
export declare function lostRows(before: Record<string, number>, after: Record<string, number>): string[];
//# sourceMappingURL=cluster-client.d.ts.map
