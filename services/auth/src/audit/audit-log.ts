import type { Kysely } from 'kysely';
import type { AuthDatabase } from '../db/schema.ts';

export type AuditEvent =
  | 'user.registered'
  | 'user.login'
  | 'token.issued'
  | 'service.registered'
  | 'service.token'
  | 'key.rotated'
  | 'admin.denied';

export type AuditOutcome = 'ok' | 'fail' | 'denied' | 'rate_limited';

export interface AuditEntry {
  readonly event: AuditEvent;
  readonly outcome: AuditOutcome;
  /** Who acted: a user id, a client id, an attempted username (never a password), or `system`. */
  readonly actor?: string | undefined;
  readonly ip?: string | undefined;
  /** Small, non-secret context (reason, kid, scopes). */
  readonly details?: Readonly<Record<string, string | number | boolean | readonly string[]>>;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'details'>> {
  readonly at: Date;
  readonly details: Record<string, unknown>;
}

const MAX_ACTOR = 200;
const FORBIDDEN_KEYS = /secret|password|token|private/i;

/** Append-only audit trail of auth events (the table refuses updates and deletes). */
export class AuditLog {
  readonly #db: Kysely<AuthDatabase>;
  readonly #onError: (err: unknown) => void;

  constructor(db: Kysely<AuthDatabase>, onError: (err: unknown) => void) {
    this.#db = db;
    this.#onError = onError;
  }

  async record(entry: AuditEntry, db: Kysely<AuthDatabase> = this.#db): Promise<void> {
    const details: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(entry.details ?? {})) {
      // Defence in depth: a caller passing a secret-looking field by mistake never gets it stored.
      if (!FORBIDDEN_KEYS.test(k)) details[k] = v;
    }
    try {
      await db
        .insertInto('auth_audit_log')
        .values({
          event: entry.event,
          outcome: entry.outcome,
          actor: entry.actor === undefined ? null : entry.actor.slice(0, MAX_ACTOR),
          ip: entry.ip ?? null,
          details: JSON.stringify(details),
        })
        .execute();
    } catch (err) {
      // An audit write failure is reported, and the caller's operation still stands (it already happened).
      this.#onError(err);
    }
  }

  /** Most recent entries first (for tests and operators). */
  async recent(limit = 100): Promise<AuditRecord[]> {
    const rows = await this.#db
      .selectFrom('auth_audit_log')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      at: r.at,
      event: r.event as AuditEvent,
      outcome: r.outcome as AuditOutcome,
      actor: r.actor ?? '',
      ip: r.ip ?? '',
      details: JSON.parse(r.details) as Record<string, unknown>,
    }));
  }
}
