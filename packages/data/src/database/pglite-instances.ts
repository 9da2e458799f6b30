import { resolve } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { DataError } from '../errors.ts';
import { LocalLockTable } from './local-lock-table.ts';

/**
 * Type parsers that make PGlite return what node-postgres returns, so code behaves the same on
 * both: int8 (bigint, count(*)) as a string, not a JS bigint/number. Pass them when you create a
 * PGlite instance yourself for openDatabase({ pglite }).
 */
export const pgliteTypeParsers: Readonly<Record<number, (value: string) => unknown>> = Object.freeze({
  20: (value: string) => value,
});

/** A reference to a PGlite instance; `release()` drops it (the last release of an owned instance closes it). */
export interface PGliteLease {
  readonly pglite: PGlite;
  /** In-process advisory locks for everyone using this instance (PGlite is one session, so SQL advisory locks cannot tell callers apart). */
  readonly locks: LocalLockTable;
  release(): Promise<void>;
}

interface SharedEntry {
  readonly ready: Promise<PGlite>;
  readonly locks: LocalLockTable;
  refs: number;
}

/**
 * PGlite allows one instance per data directory, and in the all-in-one mode several services open
 * the same directory from one process. That constraint is process-wide, so the table of open
 * directories is process-wide too: the one deliberate module-level registry in this package.
 */
const byDirectory = new Map<string, SharedEntry>();
/** Directories whose last instance is still closing: a new open waits for that first. */
const closing = new Map<string, Promise<void>>();
/** Lock tables for caller-supplied instances, so every openDatabase() over one instance shares them. */
const suppliedLocks = new WeakMap<PGlite, LocalLockTable>();

export async function leasePGlite(source: { dataDir?: string; pglite?: PGlite }): Promise<PGliteLease> {
  if (source.pglite !== undefined) {
    const pglite = source.pglite;
    if (pglite.closed) throw DataError.closed('the supplied PGlite instance');
    let locks = suppliedLocks.get(pglite);
    if (locks === undefined) {
      locks = new LocalLockTable();
      suppliedLocks.set(pglite, locks);
    }
    await pglite.waitReady;
    // Caller-supplied instance: its owner closes it.
    return { pglite, locks, release: () => Promise.resolve() };
  }
  if (source.dataDir === undefined) {
    const pglite = await startPGlite(undefined);
    const locks = new LocalLockTable();
    let released = false;
    return {
      pglite,
      locks,
      release: async () => {
        if (released) return;
        released = true;
        await pglite.close();
      },
    };
  }
  return leaseShared(resolve(source.dataDir));
}

async function leaseShared(directory: string): Promise<PGliteLease> {
  const pending = closing.get(directory);
  if (pending !== undefined) await pending;
  let entry = byDirectory.get(directory);
  if (entry === undefined) {
    const ready = startPGlite(directory);
    entry = { ready, locks: new LocalLockTable(), refs: 0 };
    byDirectory.set(directory, entry);
    ready.catch(() => {
      if (byDirectory.get(directory) === entry) byDirectory.delete(directory);
    });
  }
  entry.refs += 1;
  const current = entry;
  let pglite: PGlite;
  try {
    pglite = await current.ready;
  } catch (error) {
    current.refs -= 1;
    throw error;
  }
  let released = false;
  return {
    pglite,
    locks: current.locks,
    release: async () => {
      if (released) return;
      released = true;
      current.refs -= 1;
      if (current.refs > 0) return;
      if (byDirectory.get(directory) === current) byDirectory.delete(directory);
      const done = pglite.close().finally(() => {
        if (closing.get(directory) === done) closing.delete(directory);
      });
      closing.set(directory, done);
      await done;
    },
  };
}

async function startPGlite(directory: string | undefined): Promise<PGlite> {
  try {
    if (directory !== undefined) await mkdir(directory, { recursive: true });
    const pglite = new PGlite({
      ...(directory === undefined ? {} : { dataDir: directory }),
      parsers: pgliteTypeParsers,
    });
    await pglite.waitReady;
    return pglite;
  } catch (error) {
    throw DataError.connectionFailed(`starting PGlite${directory === undefined ? ' (memory)' : ` in ${directory}`}`, error);
  }
}
