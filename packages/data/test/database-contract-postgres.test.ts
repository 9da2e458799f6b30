import { openDatabase } from '../src/index.ts';
import { createTestDatabase } from '../src/testing/index.ts';
import { databaseContract } from './database-contract.ts';

databaseContract('PostgreSQL (two pools on one test database)', async () => {
  const testDb = await createTestDatabase({ prefix: 'dt_data' });
  return {
    kind: 'postgres',
    open: () => openDatabase({ url: testDb.url, pool: { max: 4 } }),
    teardown: () => testDb.drop(),
  };
});

