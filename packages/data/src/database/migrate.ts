import type { Kysely } from 'kysely';
import { Migrator, NO_MIGRATIONS, type Migration, type MigrationResultSet } from 'kysely/migration';
import { DataError } from '../errors.ts';
import type { Database } from './open-database.ts';

export type { Migration };

export interface MigrateOptions {
  /** Migrations by name; they run in name order, so prefix names with a sortable number ("0001_keys"). */
  readonly migrations: Readonly<Record<string, Migration>>;
  /**
   * The service's own bookkeeping table, e.g. "auth_migrations" (its lock table is "<table>_lock").
   * Services sharing one database each use their own, so their histories never collide.
   */
  readonly table: string;
  /** Where to go: "latest" (default), a migration name (up or down to it), or "none" (everything down). */
  readonly target?: string;
}

export interface MigrateResult {
  /** Names of the migrations that ran, in order. */
  readonly applied: readonly string[];
  readonly direction: 'up' | 'down' | 'none';
}

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,50}$/;
const MAX_MIGRATIONS = 10_000;

/**
 * Runs the migrations through Kysely's Migrator (each in a transaction; on PostgreSQL under an
 * advisory lock, so concurrent instances of a service migrate once). One call is one transaction:
 * if any migration fails, the whole batch rolls back and DATA_MIGRATION_FAILED is thrown with
 * `migration` naming the one that failed.
 */
export async function migrate<DB>(
  database: Database<DB> | Kysely<DB>,
  options: MigrateOptions,
): Promise<MigrateResult> {
  if (!TABLE_NAME.test(options.table)) {
    throw DataError.invalidArgument(`migration table must match ${TABLE_NAME.source} (got "${options.table}")`);
  }
  const names = Object.keys(options.migrations);
  if (names.length > MAX_MIGRATIONS) throw DataError.invalidArgument('too many migrations');
  const db = 'db' in database ? database.db : database;
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve({ ...options.migrations }) },
    migrationTableName: options.table,
    migrationLockTableName: `${options.table}_lock`,
  });
  const target = options.target ?? 'latest';
  let outcome: MigrationResultSet;
  if (target === 'latest') outcome = await migrator.migrateToLatest();
  else if (target === 'none') outcome = await migrator.migrateTo(NO_MIGRATIONS);
  else if (names.includes(target)) outcome = await migrator.migrateTo(target);
  else throw DataError.invalidArgument(`unknown migration target "${target}"`);

  const results = outcome.results ?? [];
  if (outcome.error !== undefined) {
    const failed = results.find((result) => result.status === 'Error');
    throw DataError.migrationFailed(failed?.migrationName ?? '(setup)', outcome.error);
  }
  const applied = results.filter((result) => result.status === 'Success');
  return {
    applied: applied.map((result) => result.migrationName),
    direction: applied[0]?.direction === 'Down' ? 'down' : applied.length > 0 ? 'up' : 'none',
  };
}
