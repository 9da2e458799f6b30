import { sql, type Kysely } from 'kysely';
import type { Migration } from '@darktower/data';

export const MIGRATIONS_TABLE = 'auth_migrations';

export const migrations: Readonly<Record<string, Migration>> = {
  '0001_initial': {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`
        create table auth_signing_keys (
          kid text primary key check (kid ~ '^[A-Za-z0-9_-]{1,128}$'),
          public_jwk text not null,
          private_key_enc text not null,
          created_at timestamptz not null,
          retire_at timestamptz
        )`.execute(db);
      await sql`
        create table auth_users (
          id uuid primary key,
          username text not null unique,
          display_name text not null,
          password_hash text not null,
          scopes text not null,
          created_at timestamptz not null default now()
        )`.execute(db);
      await sql`
        create table auth_service_clients (
          client_id text primary key,
          name text not null,
          secret_hash text not null,
          scopes text not null,
          created_by text not null,
          created_at timestamptz not null default now()
        )`.execute(db);
      await sql`
        create table auth_audit_log (
          id bigserial primary key,
          at timestamptz not null default now(),
          event text not null,
          actor text,
          ip text,
          outcome text not null,
          details text not null default '{}'
        )`.execute(db);
      await sql`create index auth_audit_log_at on auth_audit_log (at)`.execute(db);
      // Append-only: the table refuses UPDATE, DELETE and TRUNCATE whoever asks.
      await sql`
        create function auth_audit_log_append_only() returns trigger language plpgsql as $$
        begin
          raise exception 'auth_audit_log is append-only';
        end $$`.execute(db);
      await sql`
        create trigger auth_audit_log_no_change before update or delete on auth_audit_log
        for each row execute function auth_audit_log_append_only()`.execute(db);
      await sql`
        create trigger auth_audit_log_no_truncate before truncate on auth_audit_log
        for each statement execute function auth_audit_log_append_only()`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`drop table if exists auth_audit_log`.execute(db);
      await sql`drop function if exists auth_audit_log_append_only()`.execute(db);
      await sql`drop table if exists auth_service_clients`.execute(db);
      await sql`drop table if exists auth_users`.execute(db);
      await sql`drop table if exists auth_signing_keys`.execute(db);
    },
  },
  '0002_key_activation': {
    async up(db: Kysely<unknown>): Promise<void> {
      // Successor keys are published ahead of their first signature, so every verifier has them in time.
      await sql`alter table auth_signing_keys add column activate_at timestamptz`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`alter table auth_signing_keys drop column activate_at`.execute(db);
    },
  },
};
