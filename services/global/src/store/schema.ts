import type { ColumnType } from 'kysely';

/** Tables of the Global Controller (prefixed `gc_`: in the one-command mode services share one database). */
export interface GlobalDatabase {
  gc_tenants: TenantsTable;
  gc_meetings: MeetingsTable;
  gc_join_keys: JoinKeysTable;
}

export interface TenantsTable {
  slug: string;
  display_name: string;
  max_active_meetings: number;
  max_participants_per_meeting: number;
  /** Null: the service default (RATE_LIMIT_PER_MINUTE). */
  rate_limit_per_minute: number | null;
  allow_guests: boolean;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface MeetingsTable {
  id: string;
  code: string;
  tenant: string;
  created_by: string;
  display_name: string;
  max_participants: number;
  enable_e2e_encryption: boolean;
  require_auth: boolean;
  recording_enabled: boolean;
  controller_id: string | null;
  controller_region: string | null;
  created_at: ColumnType<Date, Date, never>;
  ended_at: Date | null;
}

export interface JoinKeysTable {
  kid: string;
  private_pem: string;
  created_at: ColumnType<Date, Date, never>;
  /** 1 for the first key; a rotation adds the next. Unique, so concurrent instances agree on one key per generation. */
  generation: number;
}
