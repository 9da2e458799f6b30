import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { parseScopeList, type Scope } from '@darktower/auth-verifier';
import type { AuthDatabase } from './schema.ts';

export interface ServiceClient {
  readonly clientId: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
}

export interface NewClientCredentials extends ServiceClient {
  /** Returned once at registration; only its SHA-256 is stored. */
  readonly clientSecret: string;
}

export const CLIENT_ID_PATTERN = /^svc_[A-Za-z0-9_-]{16,64}$/;
const MAX_SECRET_LENGTH = 256;

/**
 * Client secrets are 256 random bits, so a single SHA-256 is as strong as any password hash against guessing and
 * keeps service token issuance fast; low-entropy secrets are never accepted (we generate them).
 */
function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export class ClientsRepo {
  readonly #db: Kysely<AuthDatabase>;

  constructor(db: Kysely<AuthDatabase>) {
    this.#db = db;
  }

  async register(name: string, scopes: readonly Scope[], createdBy: string): Promise<NewClientCredentials> {
    const clientId = `svc_${randomBytes(16).toString('base64url')}`;
    const clientSecret = randomBytes(32).toString('base64url');
    await this.#db
      .insertInto('auth_service_clients')
      .values({
        client_id: clientId,
        name,
        secret_hash: hashSecret(clientSecret),
        scopes: scopes.join(' '),
        created_by: createdBy,
      })
      .execute();
    return { clientId, name, scopes, clientSecret };
  }

  /** Creates or replaces a client with a known id and secret (bootstrap admin from operator config). */
  async upsert(clientId: string, name: string, secret: string, scopes: readonly Scope[]): Promise<void> {
    await this.#db
      .insertInto('auth_service_clients')
      .values({
        client_id: clientId,
        name,
        secret_hash: hashSecret(secret),
        scopes: scopes.join(' '),
        created_by: 'bootstrap',
      })
      .onConflict((oc) =>
        oc.column('client_id').doUpdateSet({ secret_hash: hashSecret(secret), scopes: scopes.join(' ') }),
      )
      .execute();
  }

  /** The client if id and secret match; undefined otherwise (same answer for unknown id and wrong secret). */
  async authenticate(clientId: string, secret: string): Promise<ServiceClient | undefined> {
    if (!CLIENT_ID_PATTERN.test(clientId) || secret.length === 0 || secret.length > MAX_SECRET_LENGTH)
      return undefined;
    const row = await this.#db
      .selectFrom('auth_service_clients')
      .selectAll()
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    const given = Buffer.from(hashSecret(secret), 'hex');
    const stored = Buffer.from(row?.secret_hash ?? '0'.repeat(64), 'hex');
    const match = stored.length === given.length && timingSafeEqual(stored, given);
    if (row === undefined || !match) return undefined;
    return { clientId: row.client_id, name: row.name, scopes: parseScopeList(row.scopes) ?? [] };
  }
}
