import type { ControllerId } from '../domain/ids.ts';
import type { ControllerRecord } from './controller.ts';
import type { ControllerStore } from './controller-store.ts';

type Clock = () => number;

/** Single-instance store (no REDIS_URL): the same contract as the Redis one, kept in this process. */
export class MemoryControllerStore implements ControllerStore {
  readonly #records = new Map<ControllerId, { record: ControllerRecord; expiresAt: number }>();
  readonly #pending = new Map<ControllerId, { count: number; expiresAt: number }>();
  readonly #now: Clock;

  constructor(now: Clock = Date.now) {
    this.#now = now;
  }

  put(record: ControllerRecord, retentionMs: number): Promise<void> {
    this.#records.set(record.id, { record, expiresAt: this.#now() + retentionMs });
    return Promise.resolve();
  }

  get(id: ControllerId): Promise<ControllerRecord | undefined> {
    const entry = this.#records.get(id);
    if (entry === undefined) return Promise.resolve(undefined);
    if (entry.expiresAt <= this.#now()) {
      this.#records.delete(id);
      return Promise.resolve(undefined);
    }
    return Promise.resolve(entry.record);
  }

  list(): Promise<ControllerRecord[]> {
    const now = this.#now();
    const out: ControllerRecord[] = [];
    for (const [id, entry] of this.#records) {
      if (entry.expiresAt <= now) this.#records.delete(id);
      else out.push(entry.record);
    }
    return Promise.resolve(out);
  }

  addPending(id: ControllerId, retentionMs: number): Promise<void> {
    const now = this.#now();
    const entry = this.#pending.get(id);
    const count = entry !== undefined && entry.expiresAt > now ? entry.count + 1 : 1;
    this.#pending.set(id, { count, expiresAt: now + retentionMs });
    return Promise.resolve();
  }

  pending(ids: readonly ControllerId[]): Promise<Map<ControllerId, number>> {
    const now = this.#now();
    const out = new Map<ControllerId, number>();
    for (const id of ids) {
      const entry = this.#pending.get(id);
      out.set(id, entry !== undefined && entry.expiresAt > now ? entry.count : 0);
    }
    return Promise.resolve(out);
  }

  resetPending(id: ControllerId): Promise<void> {
    this.#pending.delete(id);
    return Promise.resolve();
  }

  remove(id: ControllerId): Promise<void> {
    this.#records.delete(id);
    this.#pending.delete(id);
    return Promise.resolve();
  }
}
