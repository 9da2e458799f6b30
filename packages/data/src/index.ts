export { DataError, DataErrorCode, isDataError, type DataErrorOptions } from './errors.ts';
export type { DataLogger } from './logger.ts';
export {
  openDatabase,
  type Database,
  type DatabaseKind,
  type OpenDatabaseOptions,
  type PoolOptions,
} from './database/open-database.ts';
export { pgliteTypeParsers } from './database/pglite-instances.ts';
export { migrate, type Migration, type MigrateOptions, type MigrateResult } from './database/migrate.ts';
export {
  withAdvisoryLock,
  advisoryLockId,
  type AdvisoryLockOptions,
  type AdvisoryLockResult,
} from './database/advisory-lock.ts';
export type {
  KeyValueStore,
  KeyValueLimits,
  MessageHandler,
  TtlOptions,
  Unsubscribe,
} from './kv/key-value-store.ts';
export { DEFAULT_KEY_VALUE_LIMITS, DEFAULT_KEYS_LIMIT, MAX_KEYS_LIMIT, MAX_TTL_MS } from './kv/key-value-store.ts';
export { MemoryKeyValueHub, type MemoryKeyValueHubOptions } from './kv/memory-key-value-hub.ts';
export { MemoryKeyValueStore, type MemoryKeyValueStoreOptions } from './kv/memory-key-value-store.ts';
export { RedisKeyValueStore, type RedisKeyValueStoreOptions } from './kv/redis-key-value-store.ts';
export { openKeyValueStore, type OpenKeyValueStoreOptions } from './kv/open-key-value-store.ts';
