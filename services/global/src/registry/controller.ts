import type { ControllerId } from '../domain/ids.ts';

export const CONTROLLER_HEALTH = ['healthy', 'degraded', 'unhealthy'] as const;
export type ControllerHealth = (typeof CONTROLLER_HEALTH)[number];

export interface ControllerCapacity {
  readonly maxMeetings: number;
  readonly currentMeetings: number;
  readonly maxParticipants: number;
  readonly currentParticipants: number;
}

/** What the registry stores per Meeting Controller (shared by every Global Controller instance). */
export interface ControllerRecord {
  readonly id: ControllerId;
  /** The service identity (token subject) that registered it; only it may heartbeat or deregister. */
  readonly owner: string;
  readonly region: string;
  /** Where the Global Controller reaches the controller's MeetingControllerService (Connect/gRPC). */
  readonly rpcEndpoint: string;
  /** What clients connect to (WebTransport URL), returned as `meeting_controller_url`. */
  readonly clientUrl: string;
  readonly capacity: ControllerCapacity;
  readonly health: ControllerHealth;
  readonly registeredAt: number;
  readonly lastHeartbeatAt: number;
}

/**
 * Liveness as seen at one instant: a controller that has not sent a heartbeat within the timeout is `expired`
 * whatever it last said about itself.
 */
export type ControllerStatus =
  | { readonly state: 'active'; readonly health: ControllerHealth }
  | { readonly state: 'expired'; readonly silentForMs: number };

export function controllerStatus(
  record: ControllerRecord,
  now: number,
  heartbeatTimeoutMs: number,
): ControllerStatus {
  const silentForMs = now - record.lastHeartbeatAt;
  if (silentForMs > heartbeatTimeoutMs) return { state: 'expired', silentForMs };
  return { state: 'active', health: record.health };
}

/** May a controller keep the meetings it already has? Degraded controllers keep theirs; unhealthy or silent ones lose them. */
export function canKeepMeetings(status: ControllerStatus): boolean {
  return status.state === 'active' && status.health !== 'unhealthy';
}
