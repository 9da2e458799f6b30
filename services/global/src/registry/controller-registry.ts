import { GlobalError } from '../domain/errors.ts';
import { parseControllerId, type ControllerId } from '../domain/ids.ts';
import type { AssignmentCandidate } from './assignment.ts';
import {
  CONTROLLER_HEALTH,
  controllerStatus,
  type ControllerCapacity,
  type ControllerHealth,
  type ControllerRecord,
  type ControllerStatus,
} from './controller.ts';
import type { ControllerStore } from './controller-store.ts';

export interface ControllerRegistryOptions {
  readonly store: ControllerStore;
  /** A controller silent for longer than this is out of rotation. */
  readonly heartbeatTimeoutMs: number;
  readonly now?: () => number;
  /** How long `candidates()` may reuse one read of the store (the hot path of meeting creation). */
  readonly listCacheMs?: number;
}

export interface RegisterInput {
  readonly controllerId: string;
  readonly owner: string;
  readonly region: string;
  readonly rpcEndpoint: string;
  readonly clientUrl: string;
  readonly capacity: ControllerCapacity;
}

export interface HeartbeatInput {
  readonly controllerId: string;
  readonly owner: string;
  readonly capacity: ControllerCapacity;
  readonly health: ControllerHealth;
}

export interface ControllerView {
  readonly record: ControllerRecord;
  readonly status: ControllerStatus;
}

const REGION = /^[a-z0-9][a-z0-9-]{0,62}$/;
const MAX_COUNT = 10_000_000;

/**
 * The Meeting Controller registry: registration, heartbeats and liveness. Holds no state of its own beyond a
 * short read cache; everything lives in the shared store so every Global Controller instance sees the same pool.
 */
export class ControllerRegistry {
  readonly #store: ControllerStore;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #listCacheMs: number;
  #listCache: { at: number; records: Promise<ControllerRecord[]> } | undefined;

  constructor(options: ControllerRegistryOptions) {
    if (!(options.heartbeatTimeoutMs > 0)) throw new RangeError('heartbeatTimeoutMs must be positive');
    this.#store = options.store;
    this.#timeoutMs = options.heartbeatTimeoutMs;
    this.#now = options.now ?? Date.now;
    this.#listCacheMs = options.listCacheMs ?? 250;
  }

  get heartbeatTimeoutMs(): number {
    return this.#timeoutMs;
  }

  /** Heartbeats are asked for three times per timeout, so one lost heartbeat never takes a controller out. */
  get heartbeatIntervalMs(): number {
    return Math.max(100, Math.floor(this.#timeoutMs / 3));
  }

  /** Records outlive their liveness so an expired controller can still be seen (and its meetings moved). */
  get #retentionMs(): number {
    return this.#timeoutMs * 10;
  }

  async register(input: RegisterInput): Promise<ControllerRecord> {
    const id = requireControllerId(input.controllerId);
    if (!REGION.test(input.region))
      throw GlobalError.invalidRequest('region must be a lower-case region name');
    const rpcEndpoint = requireUrl('endpoint', input.rpcEndpoint, ['http:', 'https:']);
    const clientUrl = requireUrl('client_url', input.clientUrl, ['https:', 'http:', 'wss:', 'ws:']);
    const capacity = requireCapacity(input.capacity);
    const existing = await this.#store.get(id);
    if (existing !== undefined && existing.owner !== input.owner) {
      throw GlobalError.forbidden(`controller ${id} is registered by another service identity`);
    }
    const now = this.#now();
    const record: ControllerRecord = {
      id,
      owner: input.owner,
      region: input.region,
      rpcEndpoint,
      clientUrl,
      capacity,
      health: 'healthy',
      registeredAt: now,
      lastHeartbeatAt: now,
    };
    await this.#store.put(record, this.#retentionMs);
    await this.#store.resetPending(id);
    this.#listCache = undefined;
    return record;
  }

  /** Unknown (or long-forgotten) controllers get NOT_FOUND and must register again. */
  async heartbeat(input: HeartbeatInput): Promise<ControllerRecord> {
    const id = requireControllerId(input.controllerId);
    if (!CONTROLLER_HEALTH.includes(input.health)) throw GlobalError.invalidRequest('unknown health status');
    const capacity = requireCapacity(input.capacity);
    const existing = await this.#store.get(id);
    if (existing === undefined) throw GlobalError.notFound(`controller ${id} is not registered`);
    if (existing.owner !== input.owner) {
      throw GlobalError.forbidden(`controller ${id} is registered by another service identity`);
    }
    const record: ControllerRecord = {
      ...existing,
      capacity,
      health: input.health,
      lastHeartbeatAt: this.#now(),
    };
    await this.#store.put(record, this.#retentionMs);
    await this.#store.resetPending(id);
    // Health changes must reach this instance's next assignment at once (other instances within the cache period).
    if (existing.health !== record.health) this.#listCache = undefined;
    return record;
  }

  async deregister(controllerId: string, owner: string): Promise<void> {
    const id = requireControllerId(controllerId);
    const existing = await this.#store.get(id);
    if (existing === undefined) return;
    if (existing.owner !== owner)
      throw GlobalError.forbidden(`controller ${id} is registered by another service identity`);
    await this.#store.remove(id);
    this.#listCache = undefined;
  }

  /**
   * One controller, from the short-lived pool snapshot when it is there (the hot path of every meeting read), else
   * from the store (a controller registered through another instance a moment ago).
   */
  async get(id: ControllerId): Promise<ControllerView | undefined> {
    const now = this.#now();
    const record = (await this.#cachedList(now)).find((r) => r.id === id) ?? (await this.#store.get(id));
    if (record === undefined) return undefined;
    return { record, status: controllerStatus(record, now, this.#timeoutMs) };
  }

  async list(): Promise<ControllerView[]> {
    const now = this.#now();
    const records = await this.#cachedList(now);
    return records.map((record) => ({ record, status: controllerStatus(record, now, this.#timeoutMs) }));
  }

  /** Live controllers as assignment candidates, with meetings assigned since their last heartbeat counted in. */
  async candidates(): Promise<AssignmentCandidate[]> {
    const live = (await this.list()).filter((v) => v.status.state === 'active');
    const pending = await this.#store.pending(live.map((v) => v.record.id));
    return live.map(({ record }) => ({
      id: record.id,
      region: record.region,
      health: record.health,
      load: record.capacity.currentMeetings + (pending.get(record.id) ?? 0),
      maxMeetings: record.capacity.maxMeetings,
    }));
  }

  async noteAssigned(id: ControllerId): Promise<void> {
    await this.#store.addPending(id, this.#retentionMs);
  }

  async activeCount(): Promise<number> {
    return (await this.list()).filter((v) => v.status.state === 'active').length;
  }

  #cachedList(now: number): Promise<ControllerRecord[]> {
    const cached = this.#listCache;
    if (cached !== undefined && now - cached.at < this.#listCacheMs) return cached.records;
    const records = this.#store.list();
    this.#listCache = { at: now, records };
    records.catch(() => {
      // A failed read must not be served from cache; the caller sees the rejection itself.
      if (this.#listCache?.records === records) this.#listCache = undefined;
    });
    return records;
  }
}

function requireControllerId(value: string): ControllerId {
  const id = parseControllerId(value);
  if (id === undefined)
    throw GlobalError.invalidRequest('controller_id must be 1-128 characters of [A-Za-z0-9._-]');
  return id;
}

function requireUrl(field: string, value: string, protocols: readonly string[]): string {
  if (value.length > 2048) throw GlobalError.invalidRequest(`${field} is too long`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw GlobalError.invalidRequest(`${field} must be an absolute URL`);
  }
  if (!protocols.includes(url.protocol)) {
    throw GlobalError.invalidRequest(`${field} must use one of ${protocols.join(', ')}`);
  }
  if (url.username !== '' || url.password !== '')
    throw GlobalError.invalidRequest(`${field} must not carry credentials`);
  return value;
}

function requireCapacity(capacity: ControllerCapacity): ControllerCapacity {
  for (const [key, value] of Object.entries(capacity)) {
    if (!Number.isSafeInteger(value) || value < 0 || value > MAX_COUNT) {
      throw GlobalError.invalidRequest(`capacity.${key} must be a non-negative integer`);
    }
  }
  if (capacity.maxMeetings === 0) throw GlobalError.invalidRequest('capacity.max_meetings must be positive');
  return {
    maxMeetings: capacity.maxMeetings,
    currentMeetings: capacity.currentMeetings,
    maxParticipants: capacity.maxParticipants,
    currentParticipants: capacity.currentParticipants,
  };
}
