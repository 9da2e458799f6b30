import type { Kysely } from 'kysely';
import { parseScopeList, type Scope } from '@darktower/auth-verifier';
import type { AuthDatabase } from './schema.ts';

export interface UserRecord {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly passwordHash: string;
  readonly scopes: readonly Scope[];
  readonly createdAt: Date;
}

/** Usernames compare after Unicode NFKC and lower-casing, so "Alice" and "ＡＬＩＣＥ" are one account. */
export function normalizeUsername(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}

export class UsersRepo {
  readonly #db: Kysely<AuthDatabase>;

  constructor(db: Kysely<AuthDatabase>) {
    this.#db = db;
  }

  /** Inserts; returns false when the username is taken (unique constraint), without a prior read race. */
  async create(user: Omit<UserRecord, 'createdAt'>): Promise<boolean> {
    const inserted = await this.#db
      .insertInto('auth_users')
      .values({
        id: user.id,
        username: user.username,
        display_name: user.displayName,
        password_hash: user.passwordHash,
        scopes: user.scopes.join(' '),
      })
      .onConflict((oc) => oc.column('username').doNothing())
      .returning('id')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  async findByUsername(username: string): Promise<UserRecord | undefined> {
    const row = await this.#db
      .selectFrom('auth_users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      id: row.id,
      username: row.username,
      displayName: row.display_name,
      passwordHash: row.password_hash,
      scopes: parseScopeList(row.scopes) ?? [],
      createdAt: row.created_at,
    };
  }
}
