import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createTestDatabase, testDatabaseUrl, uniquePrefix } from './index.ts';

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    const { rows } = await client.query('select 1 from pg_database where datname = $1', [name]);
    return rows.length === 1;
  } finally {
    await client.end();
  }
}

test('createTestDatabase makes a fresh database; drop() ends its connections, removes it, is idempotent', async () => {
  const first = await createTestDatabase();
  const second = await createTestDatabase();
  assert.notEqual(first.url, second.url);
  const name = new URL(first.url).pathname.slice(1);
  assert.match(name, /^dt_test_[0-9a-f]{16}$/);
  assert.equal(await databaseExists(name), true);

  const connected = new pg.Client({ connectionString: first.url });
  connected.on('error', () => undefined); // it is about to be terminated
  await connected.connect();
  await first.drop();
  await first.drop();
  assert.equal(await databaseExists(name), false);
  await assert.rejects(connected.query('select 1'));
  await connected.end().catch(() => undefined);
  await second[Symbol.asyncDispose]();
});

test('uniquePrefix never repeats', () => {
  const seen = new Set(Array.from({ length: 1_000 }, () => uniquePrefix('x')));
  assert.equal(seen.size, 1_000);
  for (const prefix of seen) assert.match(prefix, /^x:[0-9a-f]{16}:$/);
});
