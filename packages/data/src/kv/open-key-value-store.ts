import type { DataLogger } from '../logger.ts';
import type { KeyValueLimits, KeyValueStore } from './key-value-store.ts';
import { MemoryKeyValueStore } from './memory-key-value-store.ts';
import type { MemoryKeyValueHub } from './memory-key-value-hub.ts';
import { RedisKeyValueStore } from './redis-key-value-store.ts';

export interface OpenKeyValueStoreOptions {
  /** Redis URL (e.g. from REDIS_URL). Unset or empty: an in-process store. Several, comma-separated: a cluster. */
  readonly url?: string;
  /** Redis Cluster even with one seed URL (REDIS_CLUSTER=true). */
  readonly cluster?: boolean;
  readonly prefix?: string;
  /** For the in-process store: the hub shared by every service in this process. */
  readonly hub?: MemoryKeyValueHub;
  readonly limits?: Partial<KeyValueLimits>;
  readonly logger?: DataLogger;
  readonly signal?: AbortSignal;
}

/** Redis when `url` is set, otherwise memory (shared through `hub` when given). */
export async function openKeyValueStore(options: OpenKeyValueStoreOptions = {}): Promise<KeyValueStore> {
  const common = {
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  };
  if (options.url !== undefined && options.url !== '') {
    return RedisKeyValueStore.connect({
      url: options.url,
      ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
      ...common,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  }
  options.signal?.throwIfAborted();
  return new MemoryKeyValueStore({ ...common, ...(options.hub === undefined ? {} : { hub: options.hub }) });
}
