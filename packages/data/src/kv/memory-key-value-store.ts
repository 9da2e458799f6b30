import { DataError } from '../errors.ts';
import type { DataLogger } from '../logger.ts';
import {
  DEFAULT_KEY_VALUE_LIMITS,
  type KeyValueLimits,
  type KeyValueStore,
  type MessageHandler,
  type TtlOptions,
  type Unsubscribe,
} from './key-value-store.ts';
import { MemoryKeyValueHub, type MemoryKeyValueHubOptions } from './memory-key-value-hub.ts';
import { KeyValueValidator } from './validate.ts';

export interface MemoryKeyValueStoreOptions {
  /** Namespace for keys and channels, e.g. "meeting:". */
  readonly prefix?: string;
  /**
   * The hub to share with other stores in this process (as clients share one Redis). Without it
   * the store makes a private hub and closes it on close().
   */
  readonly hub?: MemoryKeyValueHub;
  /** Options for the private hub (ignored when `hub` is given). */
  readonly hubOptions?: MemoryKeyValueHubOptions;
  readonly limits?: Partial<KeyValueLimits>;
  /** Told about throwing subscription handlers. */
  readonly logger?: DataLogger;
}

/** KeyValueStore in process memory: for tests and the single-process mode. */
export class MemoryKeyValueStore implements KeyValueStore {
  readonly kind = 'memory' as const;
  readonly prefix: string;
  readonly closed: Promise<void>;
  readonly #hub: MemoryKeyValueHub;
  readonly #ownsHub: boolean;
  readonly #check: KeyValueValidator;
  readonly #logger: DataLogger | undefined;
  readonly #subscriptions = new Set<() => void>();
  #isClosed = false;
  #resolveClosed!: () => void;

  constructor(options: MemoryKeyValueStoreOptions = {}) {
    this.prefix = options.prefix ?? '';
    this.#check = new KeyValueValidator(this.prefix, { ...DEFAULT_KEY_VALUE_LIMITS, ...options.limits });
    this.#ownsHub = options.hub === undefined;
    this.#hub = options.hub ?? new MemoryKeyValueHub(options.hubOptions);
    this.#logger = options.logger;
    this.closed = new Promise<void>((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  get(key: string): Promise<string | undefined> {
    return this.#run(() => this.#hub.get(this.#check.key(key)));
  }

  set(key: string, value: string, options: TtlOptions = {}): Promise<void> {
    return this.#run(() => {
      this.#hub.set(this.#check.key(key), this.#check.value(value), this.#check.ttl(options.ttlMs), false);
    });
  }

  setIfAbsent(key: string, value: string, options: TtlOptions = {}): Promise<boolean> {
    return this.#run(() =>
      this.#hub.set(this.#check.key(key), this.#check.value(value), this.#check.ttl(options.ttlMs), true),
    );
  }

  del(...keys: string[]): Promise<number> {
    return this.#run(() => this.#hub.del(this.#check.keys(keys)));
  }

  expire(key: string, ttlMs: number): Promise<boolean> {
    return this.#run(() => this.#hub.expire(this.#check.key(key), this.#check.requiredTtl(ttlMs)));
  }

  ttl(key: string): Promise<number | undefined> {
    return this.#run(() => this.#hub.ttl(this.#check.key(key)));
  }

  incrBy(key: string, by: number, options: TtlOptions = {}): Promise<number> {
    return this.#run(() => this.#hub.incrBy(this.#check.key(key), this.#check.increment(by), this.#check.ttl(options.ttlMs)));
  }

  getDel(key: string): Promise<string | undefined> {
    return this.#run(() => this.#hub.getDel(this.#check.key(key)));
  }

  hset(key: string, fields: Readonly<Record<string, string>>): Promise<number> {
    return this.#run(() => this.#hub.hset(this.#check.key(key), this.#check.fields(fields)));
  }

  hget(key: string, field: string): Promise<string | undefined> {
    return this.#run(() => this.#hub.hget(this.#check.key(key), this.#check.value(field)));
  }

  hgetall(key: string): Promise<Record<string, string>> {
    return this.#run(() => this.#hub.hgetall(this.#check.key(key)));
  }

  hdel(key: string, ...fields: string[]): Promise<number> {
    return this.#run(() => this.#hub.hdel(this.#check.key(key), this.#check.values(fields, 'field')));
  }

  sadd(key: string, ...members: string[]): Promise<number> {
    return this.#run(() => this.#hub.sadd(this.#check.key(key), this.#check.values(members, 'member')));
  }

  srem(key: string, ...members: string[]): Promise<number> {
    return this.#run(() => this.#hub.srem(this.#check.key(key), this.#check.values(members, 'member')));
  }

  smembers(key: string): Promise<string[]> {
    return this.#run(() => this.#hub.smembers(this.#check.key(key)));
  }

  keys(prefix: string, options: { limit?: number; signal?: AbortSignal } = {}): Promise<string[]> {
    return this.#run(() => {
      options.signal?.throwIfAborted();
      const limit = this.#check.limit(options.limit);
      return this.#hub.keys(this.#check.keyPrefix(prefix), limit).map((k) => this.#check.strip(k));
    });
  }

  publish(channel: string, message: Uint8Array | string): Promise<void> {
    return this.#run(() => {
      this.#hub.publish(this.#check.key(channel), this.#check.message(message));
    });
  }

  subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    return this.#run(() => {
      const full = this.#check.key(channel);
      let active = true;
      const detach = this.#hub.subscribe(full, (message) => {
        // A message already queued when the subscription ended is dropped, not delivered late.
        if (!active || this.#isClosed) return;
        try {
          handler(message, channel);
        } catch (error) {
          this.#logger?.error({ err: error, channel }, 'key-value subscription handler threw');
        }
      });
      const unsubscribe = (): void => {
        if (!active) return;
        active = false;
        detach();
        this.#subscriptions.delete(unsubscribe);
      };
      this.#subscriptions.add(unsubscribe);
      return () => {
        unsubscribe();
        return Promise.resolve();
      };
    });
  }

  ping(signal?: AbortSignal): Promise<void> {
    return this.#run(() => {
      signal?.throwIfAborted();
    });
  }

  close(): Promise<void> {
    if (!this.#isClosed) {
      this.#isClosed = true;
      for (const unsubscribe of [...this.#subscriptions]) unsubscribe();
      if (this.#ownsHub) this.#hub.close();
      this.#resolveClosed();
    }
    return this.closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Runs synchronously but always answers with a promise, so errors arrive as rejections. */
  #run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve) => {
      if (this.#isClosed || this.#hub.isClosed) throw DataError.closed('key-value store');
      resolve(fn());
    });
  }
}
