import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { DataError } from '../errors.ts';
import { localLockTableOf, type Database } from './open-database.ts';

export interface AdvisoryLockOptions {
  /** Wait for the lock instead of giving up at once (default false). */
  readonly wait?: boolean;
  /** Aborts waiting for the lock (and the lock query on PostgreSQL). */
  readonly signal?: AbortSignal;
}

export type AdvisoryLockResult<T> = { readonly acquired: true; readonly result: T } | { readonly acquired: false };

const MAX_KEY_LENGTH = 1_024;

/** The 64-bit advisory lock id for a key: first 8 bytes of SHA-256, as PostgreSQL's signed bigint. */
export function advisoryLockId(key: string): bigint {
  const digest = createHash('sha256').update(`darktower:${key}`).digest();
  return digest.readBigInt64BE(0);
}

/**
 * Runs `fn` in a transaction only if this caller wins the advisory lock for `key`; the lock is
 * released when the transaction ends (commit, rollback or a dropped connection), so it can never
 * leak. On PostgreSQL it is `pg_try_advisory_xact_lock` (polled with backoff when
 * `wait` is set), so two processes (or two pools) sharing
 * a database exclude each other. On PGlite every caller shares one session, where SQL advisory
 * locks always succeed, so an in-process lock table shared by all users of the instance is used.
 *
 * `fn` must do its database work through the transaction it is given, and keep it short: on PGlite
 * the single session runs one transaction at a time, so while `fn` runs every other query on that
 * PGlite instance waits (and a query on the outer Kysely instance from inside `fn` would wait forever).
 */
export async function withAdvisoryLock<DB, T>(
  database: Database<DB>,
  key: string,
  fn: (trx: Transaction<DB>) => Promise<T>,
  options: AdvisoryLockOptions = {},
): Promise<AdvisoryLockResult<T>> {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw DataError.invalidArgument(`advisory lock key must be 1..${String(MAX_KEY_LENGTH)} characters`);
  }
  const signal = options.signal;
  signal?.throwIfAborted();
  const wait = options.wait ?? false;
  const local = localLockTableOf(database);
  if (local !== undefined) {
    let release: (() => void) | undefined;
    if (wait) {
      try {
        release = await local.acquire(key, signal);
      } catch (error) {
        throw DataError.aborted(`waiting for lock "${key}"`, error);
      }
    } else {
      release = local.tryAcquire(key);
    }
    if (release === undefined) return { acquired: false };
    try {
      const result = await database.db.transaction().execute(fn);
      return { acquired: true, result };
    } finally {
      release();
    }
  }

  const id = advisoryLockId(key).toString();
  return database.db.transaction().execute(async (trx): Promise<AdvisoryLockResult<T>> => {
    const tryLock = async (): Promise<boolean> => {
      const { rows } = await sql<{
        locked: boolean;
      }>`select pg_try_advisory_xact_lock(${id}::bigint) as locked`.execute(trx);
      return rows[0]?.locked === true;
    };
    let locked = await tryLock();
    // Waiting polls instead of blocking in pg_advisory_xact_lock: a blocked query cannot be
    // abandoned cleanly (it would hold its connection until statement_timeout), a poll can.
    for (let attempt = 0; !locked && wait; attempt += 1) {
      await sleep(Math.min(POLL_MAX_MS, POLL_FIRST_MS * 2 ** attempt), signal, key);
      locked = await tryLock();
    }
    if (!locked) return { acquired: false };
    return { acquired: true, result: await fn(trx) };
  });
}

const POLL_FIRST_MS = 10;
const POLL_MAX_MS = 250;

function sleep(ms: number, signal: AbortSignal | undefined, key: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(DataError.aborted(`waiting for lock "${key}"`, signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal?.aborted === true) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
