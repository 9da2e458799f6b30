/**
 * Ephemeral shared state: meeting state, presence, rate counters, caches, single-use tokens, and
 * pub/sub between service instances. Implemented by Redis (shared between processes) and in
 * memory (one process). Keys and channels are relative to the store's prefix. Values are strings
 * (encode structured values yourself); pub/sub messages are bytes.
 *
 * Every method rejects with a DataError: DATA_CLOSED after close(), DATA_INVALID_ARGUMENT for a
 * bad key/TTL, DATA_KV_TOO_LARGE over the size limits, DATA_KV_WRONG_TYPE when a key holds another
 * kind of value (string/hash/set), DATA_KV_COMMAND_FAILED when the server fails or is unreachable.
 */
export interface KeyValueStore {
  readonly kind: 'redis' | 'memory';
  /** The namespace every key and channel of this store lives under ("" for none). */
  readonly prefix: string;

  get(key: string): Promise<string | undefined>;
  /** Sets the value, replacing any value and TTL. */
  set(key: string, value: string, options?: TtlOptions): Promise<void>;
  /** Sets only if the key does not exist (Redis SET NX). Returns whether it was set. */
  setIfAbsent(key: string, value: string, options?: TtlOptions): Promise<boolean>;
  /** Deletes keys of any kind; returns how many existed. */
  del(...keys: string[]): Promise<number>;
  /** Sets a TTL on an existing key; false when the key does not exist. */
  expire(key: string, ttlMs: number): Promise<boolean>;
  /** Remaining TTL in ms; undefined when the key does not exist or has no TTL. */
  ttl(key: string): Promise<number | undefined>;
  /**
   * Adds `by` (an integer; the key starts at 0) and returns the new value. `ttlMs` is applied only
   * when the key has no TTL yet (typically: this call created it), so a fixed rate-limit window is
   * not extended by later increments.
   */
  incrBy(key: string, by: number, options?: TtlOptions): Promise<number>;
  /** Returns the value and deletes it atomically: a single-use token can be redeemed once. */
  getDel(key: string): Promise<string | undefined>;

  /** Sets hash fields; returns how many fields were new. */
  hset(key: string, fields: Readonly<Record<string, string>>): Promise<number>;
  hget(key: string, field: string): Promise<string | undefined>;
  /** All fields ({} when the key does not exist). */
  hgetall(key: string): Promise<Record<string, string>>;
  /** Removes fields; returns how many existed. */
  hdel(key: string, ...fields: string[]): Promise<number>;

  /** Adds set members; returns how many were new. */
  sadd(key: string, ...members: string[]): Promise<number>;
  /** Removes set members; returns how many were present. */
  srem(key: string, ...members: string[]): Promise<number>;
  /** All members, in no particular order ([] when the key does not exist). */
  smembers(key: string): Promise<string[]>;

  /** Keys starting with `prefix` (relative to the store prefix), at most `limit` (default 1 000, max 10 000). */
  keys(prefix: string, options?: { limit?: number; signal?: AbortSignal }): Promise<string[]>;

  /** Delivers the message to every subscriber of the channel on this store's server/hub. */
  publish(channel: string, message: Uint8Array | string): Promise<void>;
  /**
   * Calls `handler` (asynchronously, never during publish) for each message on the channel until
   * the returned function is called. A throwing handler is reported, never breaks delivery.
   */
  subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe>;

  ping(signal?: AbortSignal): Promise<void>;
  /** Idempotent: ends subscriptions and connections (a memory store also stops its sweep timer). */
  close(): Promise<void>;
  readonly closed: Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface TtlOptions {
  /** Time to live in milliseconds (a positive integer). Without it the key does not expire. */
  readonly ttlMs?: number;
}

export type MessageHandler = (message: Uint8Array, channel: string) => void;
export type Unsubscribe = () => Promise<void>;

/** Limits both implementations enforce identically, so code tested in memory behaves the same on Redis. */
export interface KeyValueLimits {
  /** Longest key or channel in bytes, prefix included (default 1 024). */
  readonly maxKeyBytes: number;
  /** Largest value, field, member or message in bytes (default 1 MiB). */
  readonly maxValueBytes: number;
}

export const DEFAULT_KEY_VALUE_LIMITS: KeyValueLimits = { maxKeyBytes: 1_024, maxValueBytes: 1_048_576 };
export const DEFAULT_KEYS_LIMIT = 1_000;
export const MAX_KEYS_LIMIT = 10_000;
/** Redis caps PX at what fits a signed 64-bit ms timestamp; we cap TTLs at ~10 years. */
export const MAX_TTL_MS = 10 * 365 * 24 * 3_600_000;
