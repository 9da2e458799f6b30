import { DataError } from '../errors.ts';

type Value =
  | { readonly type: 'string'; value: string }
  | { readonly type: 'hash'; readonly map: Map<string, string> }
  | { readonly type: 'set'; readonly set: Set<string> };

type Entry = Value & { expiresAt: number | undefined };

export type HubListener = (message: Buffer, fullChannel: string) => void;

export interface MemoryKeyValueHubOptions {
  /** How often expired keys are swept (default 1 000 ms); reads also expire lazily. */
  readonly sweepIntervalMs?: number;
  /** Most keys the hub holds; creating more fails with DATA_KV_TOO_LARGE (default 1 000 000). */
  readonly maxKeys?: number;
  /** Clock in ms (tests may pass their own). */
  readonly now?: () => number;
}

const SWEEP_BATCH = 1_000;

/**
 * The in-process "server" behind MemoryKeyValueStore: data, TTLs and pub/sub channels. Several
 * stores (e.g. several services in the all-in-one process) share one hub the way several clients
 * share one Redis. Keys here are full keys (store prefixes already applied).
 */
export class MemoryKeyValueHub {
  readonly #entries = new Map<string, Entry>();
  readonly #channels = new Map<string, Set<HubListener>>();
  readonly #now: () => number;
  readonly #maxKeys: number;
  #timer: NodeJS.Timeout | undefined;
  #sweepCursor: Iterator<[string, Entry]> | undefined;
  #closed = false;

  constructor(options: MemoryKeyValueHubOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxKeys = options.maxKeys ?? 1_000_000;
    const interval = options.sweepIntervalMs ?? 1_000;
    if (!Number.isSafeInteger(interval) || interval <= 0) {
      throw DataError.invalidArgument('sweepIntervalMs must be a positive integer');
    }
    this.#timer = setInterval(() => {
      this.#sweep();
    }, interval);
    // The sweep must never keep a process alive on its own.
    this.#timer.unref();
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Number of live keys (expired ones not yet swept are counted until touched or swept). */
  get size(): number {
    return this.#entries.size;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#entries.clear();
    this.#channels.clear();
  }

  // ---- strings ----

  get(key: string): string | undefined {
    const entry = this.#read(key);
    if (entry === undefined) return undefined;
    if (entry.type !== 'string') throw DataError.kvWrongType(key);
    return entry.value;
  }

  set(key: string, value: string, ttlMs: number | undefined, onlyIfAbsent: boolean): boolean {
    if (onlyIfAbsent && this.#read(key) !== undefined) return false;
    this.#write(key, { type: 'string', value, expiresAt: this.#expiry(ttlMs) });
    return true;
  }

  incrBy(key: string, by: number, ttlMs: number | undefined): number {
    const entry = this.#read(key);
    if (entry === undefined) {
      this.#write(key, { type: 'string', value: String(by), expiresAt: this.#expiry(ttlMs) });
      return by;
    }
    // Redis accepts only canonical integers: no "+1", "01", "-0" or spaces.
    if (entry.type !== 'string' || !/^(?:0|-?[1-9]\d{0,18})$/.test(entry.value)) throw DataError.kvWrongType(key);
    const next = Number(entry.value) + by;
    if (!Number.isSafeInteger(next)) throw DataError.invalidArgument(`increment would overflow key "${key}"`);
    entry.value = String(next);
    // Same as Redis PEXPIRE NX: a TTL is added only to a key that has none.
    if (ttlMs !== undefined && entry.expiresAt === undefined) entry.expiresAt = this.#expiry(ttlMs);
    return next;
  }

  getDel(key: string): string | undefined {
    const value = this.get(key);
    if (value !== undefined) this.#entries.delete(key);
    return value;
  }

  // ---- keys ----

  del(keys: readonly string[]): number {
    let removed = 0;
    for (const key of keys) {
      if (this.#read(key) !== undefined) {
        this.#entries.delete(key);
        removed += 1;
      }
    }
    return removed;
  }

  expire(key: string, ttlMs: number): boolean {
    const entry = this.#read(key);
    if (entry === undefined) return false;
    entry.expiresAt = this.#expiry(ttlMs);
    return true;
  }

  ttl(key: string): number | undefined {
    const entry = this.#read(key);
    if (entry?.expiresAt === undefined) return undefined;
    return Math.max(0, entry.expiresAt - this.#now());
  }

  keys(prefix: string, limit: number): string[] {
    const found: string[] = [];
    for (const key of this.#entries.keys()) {
      if (found.length >= limit) break;
      if (key.startsWith(prefix) && this.#read(key) !== undefined) found.push(key);
    }
    return found;
  }

  // ---- hashes ----

  hset(key: string, fields: readonly [string, string][]): number {
    const entry = this.#read(key);
    let map: Map<string, string>;
    if (entry === undefined) {
      map = new Map();
      this.#write(key, { type: 'hash', map, expiresAt: undefined });
    } else if (entry.type === 'hash') {
      map = entry.map;
    } else {
      throw DataError.kvWrongType(key);
    }
    let added = 0;
    for (const [field, value] of fields) {
      if (!map.has(field)) added += 1;
      map.set(field, value);
    }
    return added;
  }

  hget(key: string, field: string): string | undefined {
    return this.#hash(key)?.get(field);
  }

  hgetall(key: string): Record<string, string> {
    const map = this.#hash(key);
    const out: Record<string, string> = {};
    if (map !== undefined) for (const [field, value] of map) out[field] = value;
    return out;
  }

  hdel(key: string, fields: readonly string[]): number {
    const map = this.#hash(key);
    if (map === undefined) return 0;
    let removed = 0;
    for (const field of fields) if (map.delete(field)) removed += 1;
    if (map.size === 0) this.#entries.delete(key);
    return removed;
  }

  // ---- sets ----

  sadd(key: string, members: readonly string[]): number {
    const entry = this.#read(key);
    let set: Set<string>;
    if (entry === undefined) {
      set = new Set();
      this.#write(key, { type: 'set', set, expiresAt: undefined });
    } else if (entry.type === 'set') {
      set = entry.set;
    } else {
      throw DataError.kvWrongType(key);
    }
    let added = 0;
    for (const member of members) {
      if (!set.has(member)) {
        set.add(member);
        added += 1;
      }
    }
    return added;
  }

  srem(key: string, members: readonly string[]): number {
    const set = this.#set(key);
    if (set === undefined) return 0;
    let removed = 0;
    for (const member of members) if (set.delete(member)) removed += 1;
    if (set.size === 0) this.#entries.delete(key);
    return removed;
  }

  smembers(key: string): string[] {
    return [...(this.#set(key) ?? [])];
  }

  // ---- pub/sub ----

  publish(fullChannel: string, message: Buffer): void {
    const listeners = this.#channels.get(fullChannel);
    if (listeners === undefined) return;
    for (const listener of listeners) {
      // Each subscriber gets its own copy, delivered later: publish never runs handlers inline.
      const copy = Buffer.from(message);
      setImmediate(() => {
        listener(copy, fullChannel);
      });
    }
  }

  subscribe(fullChannel: string, listener: HubListener): () => void {
    let listeners = this.#channels.get(fullChannel);
    if (listeners === undefined) {
      listeners = new Set();
      this.#channels.set(fullChannel, listeners);
    }
    listeners.add(listener);
    return () => {
      const current = this.#channels.get(fullChannel);
      if (current === undefined) return;
      current.delete(listener);
      if (current.size === 0) this.#channels.delete(fullChannel);
    };
  }

  // ---- internals ----

  #hash(key: string): Map<string, string> | undefined {
    const entry = this.#read(key);
    if (entry === undefined) return undefined;
    if (entry.type !== 'hash') throw DataError.kvWrongType(key);
    return entry.map;
  }

  #set(key: string): Set<string> | undefined {
    const entry = this.#read(key);
    if (entry === undefined) return undefined;
    if (entry.type !== 'set') throw DataError.kvWrongType(key);
    return entry.set;
  }

  /** Lazy expiry: an expired entry is deleted the moment anyone looks at it. */
  #read(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #write(key: string, entry: Entry): void {
    if (!this.#entries.has(key) && this.#entries.size >= this.#maxKeys) {
      throw DataError.kvTooLarge('key count', this.#maxKeys);
    }
    this.#entries.set(key, entry);
  }

  #expiry(ttlMs: number | undefined): number | undefined {
    return ttlMs === undefined ? undefined : this.#now() + ttlMs;
  }

  /** Bounded work per tick: walks at most SWEEP_BATCH entries, resuming where it stopped. */
  #sweep(): void {
    const now = this.#now();
    this.#sweepCursor ??= this.#entries.entries();
    for (let i = 0; i < SWEEP_BATCH; i += 1) {
      const next = this.#sweepCursor.next();
      if (next.done === true) {
        this.#sweepCursor = undefined;
        return;
      }
      const [key, entry] = next.value;
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.#entries.delete(key);
    }
  }
}
