import { DataError } from '../errors.ts';
import { DEFAULT_KEYS_LIMIT, MAX_KEYS_LIMIT, MAX_TTL_MS, type KeyValueLimits } from './key-value-store.ts';

/** Argument checks shared by both stores so they refuse exactly the same inputs. */
export class KeyValueValidator {
  readonly #limits: KeyValueLimits;
  readonly #prefix: string;

  constructor(prefix: string, limits: KeyValueLimits) {
    this.#prefix = prefix;
    this.#limits = limits;
    if (Buffer.byteLength(prefix) >= limits.maxKeyBytes) throw DataError.invalidArgument('key prefix is too long');
  }

  /** Returns the full (prefixed) key. */
  key(key: string): string {
    if (typeof key !== 'string' || key.length === 0) throw DataError.invalidArgument('key must be a non-empty string');
    const full = this.#prefix + key;
    if (Buffer.byteLength(full) > this.#limits.maxKeyBytes) throw DataError.kvTooLarge('key', this.#limits.maxKeyBytes);
    return full;
  }

  keys(keys: readonly string[]): string[] {
    if (keys.length === 0) throw DataError.invalidArgument('at least one key is required');
    return keys.map((k) => this.key(k));
  }

  value(value: string): string {
    if (typeof value !== 'string') throw DataError.invalidArgument('value must be a string');
    if (value.length > this.#limits.maxValueBytes || Buffer.byteLength(value) > this.#limits.maxValueBytes) {
      throw DataError.kvTooLarge('value', this.#limits.maxValueBytes);
    }
    return value;
  }

  values(values: readonly string[], what: string): string[] {
    if (values.length === 0) throw DataError.invalidArgument(`at least one ${what} is required`);
    return values.map((v) => this.value(v));
  }

  fields(fields: Readonly<Record<string, string>>): [string, string][] {
    const entries = Object.entries(fields);
    if (entries.length === 0) throw DataError.invalidArgument('at least one field is required');
    let total = 0;
    for (const [field, value] of entries) {
      this.value(field);
      this.value(value);
      total += Buffer.byteLength(field) + Buffer.byteLength(value);
      if (total > this.#limits.maxValueBytes) throw DataError.kvTooLarge('hash fields', this.#limits.maxValueBytes);
    }
    return entries;
  }

  message(message: Uint8Array | string): Buffer {
    const bytes = typeof message === 'string' ? Buffer.from(message) : Buffer.from(message);
    if (bytes.byteLength > this.#limits.maxValueBytes) throw DataError.kvTooLarge('message', this.#limits.maxValueBytes);
    return bytes;
  }

  ttl(ttlMs: number | undefined): number | undefined {
    if (ttlMs === undefined) return undefined;
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_TTL_MS) {
      throw DataError.invalidArgument(`ttlMs must be an integer in 1..${String(MAX_TTL_MS)}`);
    }
    return ttlMs;
  }

  requiredTtl(ttlMs: number): number {
    const checked = this.ttl(ttlMs);
    if (checked === undefined) throw DataError.invalidArgument('ttlMs is required');
    return checked;
  }

  increment(by: number): number {
    if (!Number.isSafeInteger(by)) throw DataError.invalidArgument('incrBy amount must be a safe integer');
    return by;
  }

  limit(limit: number | undefined): number {
    if (limit === undefined) return DEFAULT_KEYS_LIMIT;
    if (!Number.isSafeInteger(limit) || limit <= 0 || limit > MAX_KEYS_LIMIT) {
      throw DataError.invalidArgument(`limit must be an integer in 1..${String(MAX_KEYS_LIMIT)}`);
    }
    return limit;
  }

  /** A key prefix for keys(): may be empty (everything in this store). */
  keyPrefix(prefix: string): string {
    if (typeof prefix !== 'string') throw DataError.invalidArgument('prefix must be a string');
    const full = this.#prefix + prefix;
    if (Buffer.byteLength(full) > this.#limits.maxKeyBytes) throw DataError.kvTooLarge('key', this.#limits.maxKeyBytes);
    return full;
  }

  strip(fullKey: string): string {
    return fullKey.slice(this.#prefix.length);
  }
}
