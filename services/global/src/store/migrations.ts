import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Migrations of the Global Controller, run with `migrate(db, { migrations, table: 'global_migrations' })`. */
export const globalMigrations: Readonly<Record<string, Migration>> = {
  '0001_tenants_meetings': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('gc_tenants')
        .addColumn('slug', 'text', (c) => c.primaryKey())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('max_active_meetings', 'integer', (c) => c.notNull().defaultTo(1000))
        .addColumn('max_participants_per_meeting', 'integer', (c) => c.notNull().defaultTo(1000))
        .addColumn('rate_limit_per_minute', 'integer')
        .addColumn('allow_guests', 'boolean', (c) => c.notNull().defaultTo(true))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await sql`insert into gc_tenants (slug, display_name) values ('default', 'Default')`.execute(db);
      await db.schema
        .createTable('gc_meetings')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('code', 'text', (c) => c.notNull().unique())
        .addColumn('tenant', 'text', (c) => c.notNull().references('gc_tenants.slug'))
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('max_participants', 'integer', (c) => c.notNull())
        .addColumn('enable_e2e_encryption', 'boolean', (c) => c.notNull())
        .addColumn('require_auth', 'boolean', (c) => c.notNull())
        .addColumn('recording_enabled', 'boolean', (c) => c.notNull())
        .addColumn('controller_id', 'text')
        .addColumn('controller_region', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('ended_at', 'timestamptz')
        .execute();
      await db.schema
        .createIndex('gc_meetings_owner_idx')
        .on('gc_meetings')
        .columns(['tenant', 'created_by', 'created_at desc', 'id desc'])
        .execute();
      await db.schema
        .createIndex('gc_meetings_tenant_idx')
        .on('gc_meetings')
        .columns(['tenant', 'created_at desc', 'id desc'])
        .execute();
      await sql`create index gc_meetings_controller_idx on gc_meetings (controller_id) where ended_at is null`.execute(
        db,
      );
      // Active-meeting counts per tenant (the tenant limit check on every create) stay index-only.
      await sql`create index gc_meetings_active_idx on gc_meetings (tenant) where ended_at is null`.execute(
        db,
      );
      await db.schema
        .createTable('gc_join_keys')
        .addColumn('generation', 'integer', (c) => c.primaryKey())
        .addColumn('kid', 'text', (c) => c.notNull().unique())
        .addColumn('private_pem', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('gc_join_keys').execute();
      await db.schema.dropTable('gc_meetings').execute();
      await db.schema.dropTable('gc_tenants').execute();
    },
  },
};
