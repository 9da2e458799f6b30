import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import { DataErrorCode, isDataError, migrate, withAdvisoryLock, type Database } from '../src/index.ts';

interface Widgets {
  widgets: { id: number; name: string };
}

/** Opens two handles on ONE underlying database (two pools, or two users of one PGlite) and cleans up. */
export interface DatabaseTarget {
  readonly kind: 'postgres' | 'pglite';
  open(): Promise<Database<Widgets>>;
  teardown(): Promise<void>;
}

const createWidgets = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('widgets')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('widgets').execute();
  },
};
const addColour = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('widgets').addColumn('colour', 'text').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('widgets').dropColumn('colour').execute();
  },
};

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export function databaseContract(name: string, makeTarget: () => Promise<DatabaseTarget>): void {
  describe(`database contract: ${name}`, () => {
    let target: DatabaseTarget;
    let a: Database<Widgets>;
    let b: Database<Widgets>;

    before(async () => {
      target = await makeTarget();
      a = await target.open();
      b = await target.open();
    });
    after(async () => {
      await a.close();
      await b.close();
      await target.teardown();
    });

    test('reports its kind and answers ping', async () => {
      assert.equal(a.kind, target.kind);
      await a.ping();
      await b.ping();
    });

    test('migrate runs pending migrations once, in name order, and reports them', async () => {
      const first = await migrate(a, { table: 'svc_a_migrations', migrations: { '0001_widgets': createWidgets } });
      assert.deepEqual(first, { applied: ['0001_widgets'], direction: 'up' });
      const again = await migrate(a, { table: 'svc_a_migrations', migrations: { '0001_widgets': createWidgets } });
      assert.deepEqual(again, { applied: [], direction: 'none' });
      const second = await migrate(b, {
        table: 'svc_a_migrations',
        migrations: { '0002_colour': addColour, '0001_widgets': createWidgets },
      });
      assert.deepEqual(second.applied, ['0002_colour']);
      await a.db.insertInto('widgets').values({ id: 1, name: 'one' }).execute();
      const rows = await b.db.selectFrom('widgets').select(['id', 'name']).execute();
      assert.deepEqual(rows, [{ id: 1, name: 'one' }]);
    });

    test('services sharing a database keep separate migration histories', async () => {
      let ran = 0;
      const result = await migrate(b, {
        table: 'svc_b_migrations',
        migrations: {
          '0001_widgets': {
            async up(db) {
              ran += 1;
              await db.schema.createTable('svc_b_things').addColumn('id', 'integer').execute();
            },
          },
        },
      });
      assert.deepEqual(result.applied, ['0001_widgets']);
      assert.equal(ran, 1);
      const tables = await sql<{ table_name: string }>`
        select table_name from information_schema.tables where table_name like 'svc\\_%\\_migrations' order by table_name`.execute(
        a.db,
      );
      assert.deepEqual(
        tables.rows.map((r) => r.table_name),
        ['svc_a_migrations', 'svc_b_migrations'],
      );
    });

    test('a failing migration throws DATA_MIGRATION_FAILED naming it, and the whole batch rolls back', async () => {
      const migrations = {
        '0001_ok': {
          async up(db: Kysely<unknown>) {
            await db.schema.createTable('svc_c_ok').addColumn('id', 'integer').execute();
          },
        },
        '0002_broken': {
          async up(db: Kysely<unknown>) {
            await db.schema.createTable('svc_c_half').addColumn('id', 'integer').execute();
            await sql`select * from no_such_table`.execute(db);
          },
        },
      };
      await assert.rejects(migrate(a, { table: 'svc_c_migrations', migrations }), (error: unknown) => {
        assert.ok(isDataError(error, DataErrorCode.migrationFailed));
        assert.equal(error.migration, '0002_broken');
        assert.match(error.message, /0002_broken/);
        return true;
      });
      const exists = async (table: string): Promise<boolean> => {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from information_schema.tables where table_name = ${table}`.execute(a.db);
        return rows[0]?.n === 1;
      };
      assert.equal(await exists('svc_c_ok'), false);
      assert.equal(await exists('svc_c_half'), false);
    });

    test('two instances of a service migrating at once run each migration once', async () => {
      let runs = 0;
      const migrations = {
        '0001_once': {
          async up(db: Kysely<unknown>) {
            runs += 1;
            await db.schema.createTable('svc_f_once').addColumn('id', 'integer').execute();
          },
        },
      };
      const [x, y] = await Promise.all([
        migrate(a, { table: 'svc_f_migrations', migrations }),
        migrate(b, { table: 'svc_f_migrations', migrations }),
      ]);
      assert.equal(runs, 1);
      assert.deepEqual([...x.applied, ...y.applied], ['0001_once']);
    });

    test('migrate can go back down to none', async () => {
      const migrations = {
        '0001_t': {
          async up(db: Kysely<unknown>) {
            await db.schema.createTable('svc_d_t').addColumn('id', 'integer').execute();
          },
          async down(db: Kysely<unknown>) {
            await db.schema.dropTable('svc_d_t').execute();
          },
        },
      };
      await migrate(a, { table: 'svc_d_migrations', migrations });
      const down = await migrate(a, { table: 'svc_d_migrations', migrations, target: 'none' });
      assert.deepEqual(down, { applied: ['0001_t'], direction: 'down' });
    });

    test('migrate refuses a bad table name and an unknown target', async () => {
      await assert.rejects(migrate(a, { table: 'x; drop table y', migrations: {} }), (e: unknown) =>
        isDataError(e, DataErrorCode.invalidArgument),
      );
      await assert.rejects(migrate(a, { table: 'svc_e_migrations', migrations: {}, target: 'nope' }), (e: unknown) =>
        isDataError(e, DataErrorCode.invalidArgument),
      );
    });

    test('advisory lock: of two concurrent callers on two handles exactly one wins', async () => {
      const holding = deferred();
      const release = deferred();
      const first = withAdvisoryLock(a, 'rotate-keys', async (trx) => {
        holding.resolve();
        await release.promise;
        await trx.insertInto('widgets').values({ id: 100, name: 'by-first' }).execute();
        return 'first';
      });
      await holding.promise;
      const second = await withAdvisoryLock(b, 'rotate-keys', () => Promise.resolve('second'));
      assert.deepEqual(second, { acquired: false });
      if (target.kind === 'postgres') {
        // A different key is independent. (On PGlite the single session runs one transaction at a
        // time, so this would queue behind the first holder: checked after release below.)
        const other = await withAdvisoryLock(b, 'another-key', () => Promise.resolve('other'));
        assert.deepEqual(other, { acquired: true, result: 'other' });
      }
      release.resolve();
      assert.deepEqual(await first, { acquired: true, result: 'first' });
      const other = await withAdvisoryLock(b, 'another-key', () => Promise.resolve('other'));
      assert.deepEqual(other, { acquired: true, result: 'other' });
      const after = await withAdvisoryLock(b, 'rotate-keys', () => Promise.resolve('second'));
      assert.deepEqual(after, { acquired: true, result: 'second' });
      const row = await b.db.selectFrom('widgets').select('name').where('id', '=', 100).executeTakeFirst();
      assert.equal(row?.name, 'by-first');
    });

    test('advisory lock: many racing callers, exactly one wins', async () => {
      const gate = deferred();
      const handles = [a, b, a, b, a, b];
      let refused = 0;
      const results = handles.map((h, i) =>
        withAdvisoryLock(h, 'race', async () => {
          await gate.promise;
          return i;
        }).then((r) => {
          // The winner holds the lock until every other caller has tried and been refused (a fixed delay
          // instead let a slow caller, on a loaded machine, try only after the winner had finished, and win too).
          if (!r.acquired && ++refused === handles.length - 1) gate.resolve();
          return r;
        }),
      );
      const settled = await Promise.all(results);
      assert.equal(settled.filter((r) => r.acquired).length, 1);
    });

    test('advisory lock: a throwing fn rolls back and releases the lock', async () => {
      await assert.rejects(
        withAdvisoryLock(a, 'boom', async (trx) => {
          await trx.insertInto('widgets').values({ id: 200, name: 'rolled-back' }).execute();
          throw new Error('boom');
        }),
        /boom/,
      );
      const row = await a.db.selectFrom('widgets').select('name').where('id', '=', 200).executeTakeFirst();
      assert.equal(row, undefined);
      assert.deepEqual(await withAdvisoryLock(b, 'boom', () => Promise.resolve(1)), { acquired: true, result: 1 });
    });

    test('advisory lock with wait: the second caller runs after the first', async () => {
      const order: string[] = [];
      const holding = deferred();
      const release = deferred();
      const first = withAdvisoryLock(a, 'queue', async () => {
        holding.resolve();
        await release.promise;
        order.push('first');
      });
      await holding.promise;
      const second = withAdvisoryLock(b, 'queue', () => Promise.resolve(order.push('second')), { wait: true });
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(order, []);
      release.resolve();
      await first;
      assert.equal((await second).acquired, true);
      assert.deepEqual(order, ['first', 'second']);
    });

    test('advisory lock: waiting can be aborted, and the holder is unaffected', async () => {
      const holding = deferred();
      const release = deferred();
      const first = withAdvisoryLock(a, 'abortable', async () => {
        holding.resolve();
        await release.promise;
        return 'held';
      });
      await holding.promise;
      const controller = new AbortController();
      const waiting = withAdvisoryLock(b, 'abortable', () => Promise.resolve('never'), {
        wait: true,
        signal: controller.signal,
      });
      setTimeout(() => {
        controller.abort(new Error('shutting down'));
      }, 50);
      await assert.rejects(waiting, (e: unknown) => isDataError(e, DataErrorCode.aborted));
      release.resolve();
      assert.deepEqual(await first, { acquired: true, result: 'held' });
      assert.deepEqual(await withAdvisoryLock(b, 'abortable', () => Promise.resolve(2)), {
        acquired: true,
        result: 2,
      });
      await assert.rejects(withAdvisoryLock(b, '', () => Promise.resolve(0)), (e: unknown) =>
        isDataError(e, DataErrorCode.invalidArgument),
      );
    });

    test('concurrent queries and transactions on one handle do not interleave', async () => {
      await a.db.deleteFrom('widgets').where('id', '>=', 1000).execute();
      const work = Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? a.db.transaction().execute(async (trx) => {
              await trx.insertInto('widgets').values({ id: 1000 + i, name: 'tx' }).execute();
              if (i % 4 === 0) throw new Error('rollback');
            })
          : a.db.insertInto('widgets').values({ id: 1000 + i, name: 'plain' }).execute(),
      );
      const settled = await Promise.allSettled(work);
      assert.equal(settled.filter((s) => s.status === 'rejected').length, 5);
      const rows = await a.db.selectFrom('widgets').select('id').where('id', '>=', 1000).orderBy('id').execute();
      const expected = Array.from({ length: 20 }, (_, i) => i).filter((i) => i % 4 !== 0).map((i) => 1000 + i);
      assert.deepEqual(
        rows.map((r) => r.id),
        expected,
      );
    });

    test('column types read the same on both backends', async () => {
      const { rows } = await sql<Record<string, unknown>>`
        select 9007199254740993::int8 as big, count(*) as n, 2::int4 as small, 1.50::numeric as num,
               '2024-01-02T03:04:05Z'::timestamptz as ts, '{"a":[1]}'::jsonb as doc, '\\x0102'::bytea as bytes,
               true as flag, null::text as nothing`.execute(a.db);
      const row = rows[0];
      assert.ok(row !== undefined);
      assert.equal(row.big, '9007199254740993');
      assert.equal(row.n, '1');
      assert.equal(row.small, 2);
      assert.equal(row.num, '1.50');
      assert.ok(row.ts instanceof Date);
      assert.equal(row.ts.toISOString(), '2024-01-02T03:04:05.000Z');
      assert.deepEqual(row.doc, { a: [1] });
      assert.ok(row.bytes instanceof Uint8Array);
      assert.deepEqual([...row.bytes], [1, 2]);
      assert.equal(row.flag, true);
      assert.equal(row.nothing, null);
    });

    test('close is idempotent, resolves closed, and later use fails with DATA_CLOSED', async () => {
      const c = await target.open();
      await c.ping();
      const first = c.close();
      assert.equal(c.close(), first);
      await first;
      await c.closed;
      await c[Symbol.asyncDispose]();
      await assert.rejects(c.ping(), (e: unknown) => isDataError(e, DataErrorCode.closed));
      // The other handles on the same database are unaffected.
      await a.ping();
      await b.ping();
    });
  });
}

