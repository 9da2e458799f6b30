import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { openDatabase, pgliteTypeParsers } from '../src/index.ts';
import { databaseContract } from './database-contract.ts';

databaseContract('PGlite (in memory, one instance shared by two handles)', async () => {
  const pglite = new PGlite({ parsers: pgliteTypeParsers });
  await pglite.waitReady;
  return {
    kind: 'pglite',
    open: () => openDatabase({ pglite }),
    teardown: () => pglite.close(),
  };
});

databaseContract('PGlite (one data directory opened twice in one process)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dt-data-contract-'));
  return {
    kind: 'pglite',
    open: () => openDatabase({ dataDir: dir }),
    teardown: () => rm(dir, { recursive: true, force: true }),
  };
});

