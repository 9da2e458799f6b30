import type { ColumnType, Generated } from 'kysely';

export interface SigningKeysTable {
  kid: string;
  /** Public JWK as JSON text. */
  public_jwk: string;
  /** AES-256-GCM blob (see MasterKey), base64. */
  private_key_enc: string;
  created_at: Date;
  /** When it starts signing; null = at creation (rows from migration 0001). */
  activate_at: Date | null;
  retire_at: Date | null;
}

export interface UsersTable {
  id: string;
  /** Normalised (NFKC, lower case): the uniqueness key. */
  username: string;
  display_name: string;
  password_hash: string;
  scopes: string;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface ServiceClientsTable {
  client_id: string;
  name: string;
  /** SHA-256 of the high-entropy secret, hex. */
  secret_hash: string;
  scopes: string;
  created_at: ColumnType<Date, Date | undefined, never>;
  created_by: string;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: ColumnType<Date, Date | undefined, never>;
  event: string;
  actor: string | null;
  ip: string | null;
  outcome: string;
  /** JSON text; never a secret or a password. */
  details: string;
}

export interface AuthDatabase {
  auth_signing_keys: SigningKeysTable;
  auth_users: UsersTable;
  auth_service_clients: ServiceClientsTable;
  auth_audit_log: AuditLogTable;
}
