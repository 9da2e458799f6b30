export { DataError, DataErrorCode, isDataError, type DataErrorOptions } from './errors.ts';
export type { DataLogger } from './logger.ts';
export {
  openDatabase,
  type Database,
  type DatabaseKind,
  type OpenDatabaseOptions,
  type PoolOptions,
} from './database/open-database.ts';
export { migrate, type Migration, type MigrateOptions, type MigrateResult } from './database/migrate.ts';
export {
  withAdvisoryLock,
  advisoryLockId,
  type AdvisoryLockOptions,
  type AdvisoryLockResult,
} from './database/advisory-lock.ts';
