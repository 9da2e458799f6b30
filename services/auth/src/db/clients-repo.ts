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

interface CachedClient {
  readonly client: ServiceClient;
  readonly secretHash: Buffer;
  readonly at: number;
}

export interface ClientsRepoOptions {
  /** How long a client row is reused without reading the database again (0 disables). */
  readonly cacheTtlMs?: number;
  readonly now?: () => number;
}

const MAX_CACHED = 10_000;

export class ClientsRepo {
  readonly #db: Kysely<AuthDatabase>;
  readonly #ttl: number;
  readonly #now: () => number;
  /** Known clients only (an unknown id is never cached, so a flood of random ids cannot fill it). */
  readonly #cache = new Map<string, CachedClient>();

  constructor(db: Kysely<AuthDatabase>, options: ClientsRepoOptions = {}) {
    this.#db = db;
    this.#ttl = options.cacheTtlMs ?? 0;
    this.#now = options.now ?? Date.now;
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
    this.#cache.delete(clientId);
  }

  /** The client if id and secret match; undefined otherwise (same answer for unknown id and wrong secret). */
  async authenticate(clientId: string, secret: string): Promise<ServiceClient | undefined> {
    if (!CLIENT_ID_PATTERN.test(clientId) || secret.length === 0 || secret.length > MAX_SECRET_LENGTH)
      return undefined;
    const given = Buffer.from(hashSecret(secret), 'hex');
    const entry = await this.#lookup(clientId);
    // Compare against a dummy when the id is unknown, so both paths do the same work.
    const stored = entry?.secretHash ?? Buffer.alloc(given.length);
    const match = stored.length === given.length && timingSafeEqual(stored, given);
    return entry !== undefined && match ? entry.client : undefined;
  }

  async #lookup(clientId: string): Promise<CachedClient | undefined> {
    const now = this.#now();
    const cached = this.#cache.get(clientId);
    if (cached !== undefined && now - cached.at < this.#ttl) return cached;
    const row = await this.#db
      .selectFrom('auth_service_clients')
      .selectAll()
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    if (row === undefined) {
      this.#cache.delete(clientId);
      return undefined;
    }
    const entry: CachedClient = {
      client: { clientId: row.client_id, name: row.name, scopes: parseScopeList(row.scopes) ?? [] },
      secretHash: Buffer.from(row.secret_hash, 'hex'),
      at: now,
    };
    if (this.#ttl > 0) {
      if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
      this.#cache.set(clientId, entry);
    }
    return entry;
  }
}
