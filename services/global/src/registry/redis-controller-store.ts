import type { ControllerId } from '../domain/ids.ts';
import type { RedisClient } from '../kv/redis-client.ts';
import { CONTROLLER_HEALTH, type ControllerRecord } from './controller.ts';
import type { ControllerStore } from './controller-store.ts';

/**
 * Controller liveness in Redis, shared by every Global Controller instance of a region:
 * `<prefix>mc:<id>` holds the record (JSON, expiring), `<prefix>mc:index` the set of ids,
 * `<prefix>mc:<id>:pending` a counter of meetings assigned since the last heartbeat.
 */
export class RedisControllerStore implements ControllerStore {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async put(record: ControllerRecord, retentionMs: number): Promise<void> {
    await this.#redis
      .multi()
      .set(this.#key(record.id), JSON.stringify(record), { expiration: { type: 'PX', value: retentionMs } })
      .sAdd(this.#index, record.id)
      .exec();
  }

  async get(id: ControllerId): Promise<ControllerRecord | undefined> {
    const raw = await this.#redis.get(this.#key(id));
    return raw === null ? undefined : decodeRecord(raw);
  }

  async list(): Promise<ControllerRecord[]> {
    const ids = await this.#redis.sMembers(this.#index);
    if (ids.length === 0) return [];
    const raws = await this.#redis.mGet(ids.map((id) => this.#key(id as ControllerId)));
    const out: ControllerRecord[] = [];
    const gone: string[] = [];
    raws.forEach((raw, i) => {
      const record = raw === null ? undefined : decodeRecord(raw);
      if (record === undefined) gone.push(ids[i] ?? '');
      else out.push(record);
    });
    if (gone.length > 0) await this.#redis.sRem(this.#index, gone);
    return out;
  }

  async addPending(id: ControllerId, retentionMs: number): Promise<void> {
    await this.#redis.multi().incr(this.#pendingKey(id)).pExpire(this.#pendingKey(id), retentionMs).exec();
  }

  async pending(ids: readonly ControllerId[]): Promise<Map<ControllerId, number>> {
    const out = new Map<ControllerId, number>();
    if (ids.length === 0) return out;
    const raws = await this.#redis.mGet(ids.map((id) => this.#pendingKey(id)));
    ids.forEach((id, i) => {
      const n = Number(raws[i] ?? 0);
      out.set(id, Number.isSafeInteger(n) && n > 0 ? n : 0);
    });
    return out;
  }

  async resetPending(id: ControllerId): Promise<void> {
    await this.#redis.del(this.#pendingKey(id));
  }

  async remove(id: ControllerId): Promise<void> {
    await this.#redis
      .multi()
      .del([this.#key(id), this.#pendingKey(id)])
      .sRem(this.#index, id)
      .exec();
  }

  get #index(): string {
    return `${this.#prefix}mc:index`;
  }
  #key(id: ControllerId): string {
    return `${this.#prefix}mc:${id}`;
  }
  #pendingKey(id: ControllerId): string {
    return `${this.#prefix}mc:${id}:pending`;
  }
}

/** Records are written by us, but Redis is a shared store: decode defensively and drop what does not fit. */
function decodeRecord(raw: string): ControllerRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  const cap = r.capacity as Record<string, unknown> | undefined;
  const nums = [
    r.registeredAt,
    r.lastHeartbeatAt,
    cap?.maxMeetings,
    cap?.currentMeetings,
    cap?.maxParticipants,
    cap?.currentParticipants,
  ];
  if (
    typeof r.id !== 'string' ||
    typeof r.owner !== 'string' ||
    typeof r.region !== 'string' ||
    typeof r.rpcEndpoint !== 'string' ||
    typeof r.clientUrl !== 'string' ||
    !CONTROLLER_HEALTH.includes(r.health as never) ||
    nums.some((n) => typeof n !== 'number')
  ) {
    return undefined;
  }
  return v as ControllerRecord;
}
