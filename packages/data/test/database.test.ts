import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import { DataErrorCode, isDataError, openDatabase } from '../src/index.ts';
import { createTestDatabase } from '../src/testing/index.ts';

describe('openDatabase', () => {
  test('refuses URLs that are not postgres:// and bad pool settings', async () => {
    await assert.rejects(openDatabase({ url: 'mysql://x@127.0.0.1/db' }), (e: unknown) =>
      isDataError(e, DataErrorCode.invalidArgument),
    );
    await assert.rejects(openDatabase({ url: 'not a url' }), (e: unknown) =>
      isDataError(e, DataErrorCode.invalidArgument),
    );
    await assert.rejects(
      openDatabase({ url: 'postgres://postgres@127.0.0.1:5432/postgres', pool: { max: 0 } }),
      (e: unknown) => isDataError(e, DataErrorCode.invalidArgument),
    );
  });

  test('an unreachable server fails at open with DATA_CONNECTION_FAILED', async () => {
    await assert.rejects(
      openDatabase({ url: 'postgres://postgres@127.0.0.1:1/postgres', pool: { connectionTimeoutMs: 2_000 } }),
      (e: unknown) => isDataError(e, DataErrorCode.connectionFailed),
    );
  });

  test('a database that disappears under the pool does not crash the process; ping reports it', async () => {
    const testDb = await createTestDatabase({ prefix: 'dt_data' });
    const warnings: object[] = [];
    const database = await openDatabase({
      url: testDb.url,
      logger: { warn: (d) => warnings.push(d), error: (d) => warnings.push(d) },
    });
    try {
      await database.ping();
      await testDb.drop(); // terminates our idle connection: the pool emits 'error'
      await assert.rejects(database.ping(), (e: unknown) => isDataError(e, DataErrorCode.connectionFailed));
      assert.ok(warnings.length >= 1, 'the idle-connection error reached the logger');
    } finally {
      await database.close();
    }
  });

  test('statement timeout applies on PostgreSQL', async () => {
    const testDb = await createTestDatabase({ prefix: 'dt_data' });
    const database = await openDatabase({ url: testDb.url, pool: { statementTimeoutMs: 200 } });
    try {
      await assert.rejects(sql`select pg_sleep(5)`.execute(database.db), /statement timeout/);
      await database.ping();
    } finally {
      await database.close();
      await testDb.drop();
    }
  });

  test('PGlite by dataDir: two opens in one process share one instance; data persists across reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dt-data-'));
    try {
      // Opened concurrently: the second open must join the first's instance, not start another.
      const [one, two] = await Promise.all([
        openDatabase<{ notes: { body: string } }>({ dataDir: dir }),
        openDatabase<{ notes: { body: string } }>({ dataDir: join(dir, '.') }),
      ]);
      // Instances this package creates read int8 like node-postgres does.
      const { rows } = await sql<{ n: unknown }>`select 9007199254740993::int8 as n`.execute(one.db);
      assert.deepEqual(rows, [{ n: '9007199254740993' }]);
      await sql`create table notes (body text)`.execute(one.db);
      await two.db.insertInto('notes').values({ body: 'shared' }).execute();
      await one.close();
      assert.deepEqual(await two.db.selectFrom('notes').selectAll().execute(), [{ body: 'shared' }]);
      await two.close();
      const three = await openDatabase<{ notes: { body: string } }>({ dataDir: dir });
      try {
        assert.deepEqual(await three.db.selectFrom('notes').selectAll().execute(), [{ body: 'shared' }]);
      } finally {
        await three.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a caller-supplied PGlite stays open after the handle closes', async () => {
    const pglite = new PGlite();
    try {
      const database = await openDatabase({ pglite });
      await database.close();
      assert.equal(pglite.closed, false);
      const { rows } = await pglite.query<{ one: number }>('select 1 as one');
      assert.deepEqual(rows, [{ one: 1 }]);
    } finally {
      await pglite.close();
    }
  });
});
