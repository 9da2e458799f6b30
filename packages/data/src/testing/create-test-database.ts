import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  /** URL of the fresh, empty database. */
  readonly url: string;
  /** Terminates its connections and drops it. Idempotent. */
  drop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export function testDatabaseUrl(): string {
  const fromEnv = process.env.TEST_DATABASE_URL;
  return fromEnv === undefined || fromEnv === '' ? DEFAULT_TEST_DATABASE_URL : fromEnv;
}

/**
 * Creates a uniquely named database on TEST_DATABASE_URL's server (default the local one), so
 * tests running in parallel never see each other's tables.
 */
export async function createTestDatabase(options: { prefix?: string } = {}): Promise<TestDatabase> {
  const admin = testDatabaseUrl();
  const prefix = (options.prefix ?? 'dt_test').toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 30);
  const name = `${prefix}_${randomBytes(8).toString('hex')}`;
  await withAdmin(admin, async (client) => {
    await client.query(`create database "${name}"`);
  });
  const url = new URL(admin);
  url.pathname = `/${name}`;
  let dropping: Promise<void> | undefined;
  const drop = (): Promise<void> => {
    dropping ??= withAdmin(admin, async (client) => {
      await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [
        name,
      ]);
      await client.query(`drop database if exists "${name}" with (force)`);
    });
    return dropping;
  };
  return { url: url.toString(), drop, [Symbol.asyncDispose]: drop };
}

async function withAdmin(url: string, fn: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {
    // A server-side termination surfaces on the next query or end(); nothing to do here.
  });
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}
