import { createTestDatabase } from '@darktower/data/testing';
import type { SuiteTarget } from './suite-target.ts';

/** PGlite in memory (DATABASE_URL unset). */
export const pgliteTarget: SuiteTarget = {
  name: 'PGlite',
  setup: () => Promise.resolve({}),
};

/** A fresh database on the real PostgreSQL server (TEST_DATABASE_URL). */
export const postgresTarget: SuiteTarget = {
  name: 'PostgreSQL',
  async setup() {
    const db = await createTestDatabase({ prefix: 'dt_auth' });
    return { databaseUrl: db.url, cleanup: () => db.drop() };
  },
};
