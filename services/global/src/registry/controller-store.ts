import type { ControllerId } from '../domain/ids.ts';
import type { ControllerRecord } from './controller.ts';

/**
 * Where controller liveness lives: shared by all Global Controller instances (Redis), or in process when there is
 * only one. Records expire on their own after `retentionMs` so a controller that vanished is eventually forgotten.
 */
export interface ControllerStore {
  put(record: ControllerRecord, retentionMs: number): Promise<void>;
  get(id: ControllerId): Promise<ControllerRecord | undefined>;
  list(): Promise<ControllerRecord[]>;
  /** Meetings handed to the controller since its last heartbeat (its reported count does not include them yet). */
  addPending(id: ControllerId, retentionMs: number): Promise<void>;
  pending(ids: readonly ControllerId[]): Promise<Map<ControllerId, number>>;
  resetPending(id: ControllerId): Promise<void>;
  remove(id: ControllerId): Promise<void>;
}
