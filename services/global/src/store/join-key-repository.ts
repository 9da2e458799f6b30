import type { Kysely } from 'kysely';
import {
  generateJoinSigningKey,
  joinSigningKeyFromPem,
  joinSigningKeyToPem,
  type JoinSigningKey,
} from '../tokens/join-signing-key.ts';
import type { GlobalDatabase } from './schema.ts';

/**
 * Join-token signing keys shared by every Global Controller instance through PostgreSQL, so a token minted by one
 * instance verifies against the JWKS served by any other. The first instance to start creates the key.
 */
export class JoinKeyRepository {
  readonly #db: Kysely<GlobalDatabase>;

  constructor(db: Kysely<GlobalDatabase>) {
    this.#db = db;
  }

  /**
   * Newest first. Creates generation 1 when there is none; concurrent creators race on the generation's primary
   * key, one wins, and every instance then loads the winner.
   */
  async loadOrCreate(): Promise<JoinSigningKey[]> {
    const existing = await this.load();
    if (existing.length > 0) return existing;
    await this.#insert(1, generateJoinSigningKey());
    return this.load();
  }

  /** Adds a new newest key (rotation); older ones stay published until pruned. */
  async rotate(): Promise<JoinSigningKey[]> {
    const row = await this.#db
      .selectFrom('gc_join_keys')
      .select((eb) => eb.fn.max('generation').as('g'))
      .executeTakeFirst();
    await this.#insert((row?.g ?? 0) + 1, generateJoinSigningKey());
    return this.load();
  }

  async #insert(generation: number, key: JoinSigningKey): Promise<void> {
    await this.#db
      .insertInto('gc_join_keys')
      .values({ generation, kid: key.kid, private_pem: joinSigningKeyToPem(key), created_at: key.createdAt })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async load(): Promise<JoinSigningKey[]> {
    const rows = await this.#db
      .selectFrom('gc_join_keys')
      .selectAll()
      .orderBy('generation', 'desc')
      .limit(4)
      .execute();
    return rows.map((r) => joinSigningKeyFromPem(r.private_pem, new Date(r.created_at)));
  }
}
