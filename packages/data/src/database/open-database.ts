import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import { DataError } from '../errors.ts';
import type { DataLogger } from '../logger.ts';
import { leasePGlite } from './pglite-instances.ts';
import { SerializedPGliteDialect } from './serialized-pglite-dialect.ts';
import type { LocalLockTable } from './local-lock-table.ts';

export type DatabaseKind = 'postgres' | 'pglite';

/** Connection pool settings for a real PostgreSQL server. Every field has a production-sane default. */
export interface PoolOptions {
  /** Most connections at once (default 10). */
  readonly max?: number;
  /** Give up connecting after this long (default 5 000 ms). */
  readonly connectionTimeoutMs?: number;
  /** Close connections idle this long (default 30 000 ms). */
  readonly idleTimeoutMs?: number;
  /** Server-side `statement_timeout` (default 30 000 ms). */
  readonly statementTimeoutMs?: number;
  /** Server-side `idle_in_transaction_session_timeout` (default 60 000 ms). */
  readonly idleInTransactionTimeoutMs?: number;
  /** `application_name` shown in pg_stat_activity (default "darktower"). */
  readonly applicationName?: string;
}

export interface OpenDatabaseOptions {
  /** `postgres://` URL of a real server. Without it, PGlite (embedded PostgreSQL) is used. */
  readonly url?: string;
  /** PGlite data directory; without it (and without `pglite`) PGlite runs in memory. Shared per process. */
  readonly dataDir?: string;
  /** An existing PGlite instance to use; its owner closes it. Takes precedence over `dataDir`. */
  readonly pglite?: PGlite;
  readonly pool?: PoolOptions;
  readonly logger?: DataLogger;
  /** Aborts opening (PGlite start, first connection). */
  readonly signal?: AbortSignal;
}

/** An open database: a typed Kysely instance plus the house lifetime contract. */
export interface Database<DB> {
  readonly db: Kysely<DB>;
  readonly kind: DatabaseKind;
  /** Runs `select 1`; rejects with DATA_CONNECTION_FAILED (or DATA_CLOSED). */
  ping(signal?: AbortSignal): Promise<void>;
  /** Idempotent. Ends the pool, or releases the (possibly shared) PGlite instance. */
  close(): Promise<void>;
  /** Resolves once close() has finished. */
  readonly closed: Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Internals the advisory lock needs; kept out of the public type. */
const localLocks = new WeakMap<object, LocalLockTable>();

/** @internal In-process lock table for PGlite databases; undefined for PostgreSQL. */
export function localLockTableOf<DB>(database: Database<DB>): LocalLockTable | undefined {
  return localLocks.get(database);
}

/**
 * Opens PostgreSQL (with `url`) or PGlite (without). For PostgreSQL the first connection is made
 * here, so a wrong URL fails at start with DATA_CONNECTION_FAILED rather than on the first request.
 */
export async function openDatabase<DB>(options: OpenDatabaseOptions = {}): Promise<Database<DB>> {
  options.signal?.throwIfAborted();
  if (options.url !== undefined && options.url !== '') return openPostgres<DB>(options.url, options);
  const lease = await leasePGlite(pgliteSource(options));
  if (options.signal?.aborted === true) {
    await lease.release();
    throw DataError.aborted('openDatabase', options.signal.reason);
  }
  const db = new Kysely<DB>({ dialect: new SerializedPGliteDialect(lease.pglite) });
  const handle = new DatabaseHandle<DB>(db, 'pglite', async () => {
    await db.destroy();
    await lease.release();
  });
  localLocks.set(handle, lease.locks);
  return handle;
}

function pgliteSource(options: OpenDatabaseOptions): { dataDir?: string; pglite?: PGlite } {
  if (options.pglite !== undefined) return { pglite: options.pglite };
  if (options.dataDir !== undefined && options.dataDir !== '') return { dataDir: options.dataDir };
  return {};
}

async function openPostgres<DB>(url: string, options: OpenDatabaseOptions): Promise<Database<DB>> {
  validatePostgresUrl(url);
  const poolOptions = options.pool ?? {};
  const max = positiveInteger('pool.max', poolOptions.max, 10);
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: positiveInteger('pool.connectionTimeoutMs', poolOptions.connectionTimeoutMs, 5_000),
    idleTimeoutMillis: positiveInteger('pool.idleTimeoutMs', poolOptions.idleTimeoutMs, 30_000),
    statement_timeout: positiveInteger('pool.statementTimeoutMs', poolOptions.statementTimeoutMs, 30_000),
    idle_in_transaction_session_timeout: positiveInteger(
      'pool.idleInTransactionTimeoutMs',
      poolOptions.idleInTransactionTimeoutMs,
      60_000,
    ),
    application_name: poolOptions.applicationName ?? 'darktower',
    keepAlive: true,
  });
  // An idle client losing its server emits 'error' on the pool; unhandled, that kills the process.
  // The pool drops the broken client and the next query gets a fresh one.
  pool.on('error', (error) => {
    options.logger?.warn({ err: error }, 'idle PostgreSQL connection failed; it was removed from the pool');
  });
  // A checked-out client losing its connection mid-query emits 'error' on the client itself (the
  // pool only listens while it is idle): without this listener that is an uncaught exception. The
  // query is rejected anyway, and the pool discards the broken client when it is released.
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      options.logger?.warn({ err: error }, 'PostgreSQL connection failed during use');
    });
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const handle = new DatabaseHandle<DB>(db, 'postgres', () => db.destroy());
  try {
    await handle.ping(options.signal);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

function validatePostgresUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw DataError.invalidArgument('database url is not a valid URL');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw DataError.invalidArgument(`database url must start with postgres:// (got ${parsed.protocol}//)`);
  }
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw DataError.invalidArgument(`${name} must be a positive integer (got ${String(value)})`);
  }
  return value;
}

class DatabaseHandle<DB> implements Database<DB> {
  readonly db: Kysely<DB>;
  readonly kind: DatabaseKind;
  readonly closed: Promise<void>;
  readonly #teardown: () => Promise<void>;
  #closing: Promise<void> | undefined;
  #resolveClosed!: () => void;

  constructor(db: Kysely<DB>, kind: DatabaseKind, teardown: () => Promise<void>) {
    this.db = db;
    this.kind = kind;
    this.#teardown = teardown;
    this.closed = new Promise<void>((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  async ping(signal?: AbortSignal): Promise<void> {
    if (this.#closing !== undefined) throw DataError.closed('database');
    signal?.throwIfAborted();
    try {
      await sql`select 1`.execute(this.db, signal === undefined ? undefined : { signal, inflightQueryAbortStrategy: 'cancel query' });
    } catch (error) {
      if (signal?.aborted === true) throw DataError.aborted('ping', error);
      throw DataError.connectionFailed(`${this.kind} ping`, error);
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#teardown().finally(() => {
      this.#resolveClosed();
    });
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
