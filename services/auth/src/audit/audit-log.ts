import type { Kysely } from 'kysely';
import type { Insertable } from 'kysely';
import type { AuditLogTable, AuthDatabase } from '../db/schema.ts';

export type AuditEvent =
  | 'user.registered'
  | 'user.login'
  | 'token.issued'
  | 'service.registered'
  | 'service.provisioned'
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
type Row = Insertable<AuditLogTable>;

/** Batched entries are written at least this often. */
const FLUSH_INTERVAL_MS = 20;
const MAX_BATCH = 200;

export class AuditLog {
  readonly #db: Kysely<AuthDatabase>;
  readonly #onError: (err: unknown) => void;
  #pending: Row[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(db: Kysely<AuthDatabase>, onError: (err: unknown) => void) {
    this.#db = db;
    this.#onError = onError;
  }

  /** Writes the entry now (inside `db` when given, e.g. the rotation transaction). */
  async record(entry: AuditEntry, db: Kysely<AuthDatabase> = this.#db): Promise<void> {
    try {
      await db.insertInto('auth_audit_log').values(toRow(entry)).execute();
    } catch (err) {
      // An audit write failure is reported, and the caller's operation still stands (it already happened).
      this.#onError(err);
    }
  }

  /**
   * For the high-volume `token.issued` event: queued and written in one multi-row insert within
   * FLUSH_INTERVAL_MS, so issuing a token costs no extra database round trip. A crash can lose at most that
   * window of these entries; security-relevant refusals, registrations and rotations use `record`.
   */
  enqueue(entry: AuditEntry): void {
    this.#pending.push(toRow(entry));
    if (this.#pending.length >= MAX_BATCH) {
      void this.flush();
    } else {
      this.#timer ??= setTimeout(() => {
        void this.flush();
      }, FLUSH_INTERVAL_MS);
    }
  }

  /** Writes everything queued so far. */
  flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    this.#flushing = this.#flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.#db.insertInto('auth_audit_log').values(batch).execute();
      } catch (err) {
        this.#onError(err);
      }
    });
    return this.#flushing;
  }

  /** Flushes; call before the database closes. */
  close(): Promise<void> {
    return this.flush();
  }

  /** Most recent entries first (for tests and operators). */
  async recent(limit = 100): Promise<AuditRecord[]> {
    await this.flush();
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

function toRow(entry: AuditEntry): Row {
  const details: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry.details ?? {})) {
    // Defence in depth: a caller passing a secret-looking field by mistake never gets it stored.
    if (!FORBIDDEN_KEYS.test(k)) details[k] = v;
  }
  return {
    event: entry.event,
    outcome: entry.outcome,
    actor: entry.actor === undefined ? null : entry.actor.slice(0, MAX_ACTOR),
    ip: entry.ip ?? null,
    details: JSON.stringify(details),
  };
}
