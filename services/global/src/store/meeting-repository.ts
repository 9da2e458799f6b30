import { sql, type Kysely, type Selectable } from 'kysely';
import type { ControllerId, MeetingCode, MeetingId } from '../domain/ids.ts';
import type { Meeting } from '../domain/meeting.ts';
import type { ListCursor } from './list-cursor.ts';
import type { GlobalDatabase, MeetingsTable } from './schema.ts';

export interface ListMeetingsQuery {
  readonly tenant: string;
  readonly createdBy?: string;
  readonly active?: boolean;
  readonly after?: ListCursor;
  readonly limit: number;
}

export interface MeetingPage {
  readonly meetings: Meeting[];
  readonly total: number;
  readonly next: ListCursor | undefined;
}

const UNIQUE_VIOLATION = '23505';

/** Meeting metadata in PostgreSQL. Every read is scoped to a tenant: ids of other tenants do not exist here. */
export class MeetingRepository {
  readonly #db: Kysely<GlobalDatabase>;

  constructor(db: Kysely<GlobalDatabase>) {
    this.#db = db;
  }

  /** False when the code is taken (the caller retries with another); other failures throw. */
  async insert(meeting: Meeting): Promise<boolean> {
    try {
      await this.#db
        .insertInto('gc_meetings')
        .values({
          id: meeting.id,
          code: meeting.code,
          tenant: meeting.tenant,
          created_by: meeting.createdBy,
          display_name: meeting.displayName,
          max_participants: meeting.maxParticipants,
          enable_e2e_encryption: meeting.settings.enableE2eEncryption,
          require_auth: meeting.settings.requireAuth,
          recording_enabled: meeting.settings.recordingEnabled,
          controller_id: meeting.controllerId,
          controller_region: meeting.controllerRegion,
          created_at: meeting.createdAt,
          ended_at: meeting.endedAt,
        })
        .execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error, 'code')) return false;
      throw error;
    }
  }

  async findById(tenant: string, id: MeetingId): Promise<Meeting | undefined> {
    const row = await this.#db
      .selectFrom('gc_meetings')
      .selectAll()
      .where('id', '=', id)
      .where('tenant', '=', tenant)
      .executeTakeFirst();
    return row === undefined ? undefined : toMeeting(row);
  }

  async findByCode(tenant: string, code: MeetingCode): Promise<Meeting | undefined> {
    const row = await this.#db
      .selectFrom('gc_meetings')
      .selectAll()
      .where('code', '=', code)
      .where('tenant', '=', tenant)
      .executeTakeFirst();
    return row === undefined ? undefined : toMeeting(row);
  }

  async list(query: ListMeetingsQuery): Promise<MeetingPage> {
    let base = this.#db.selectFrom('gc_meetings').where('tenant', '=', query.tenant);
    if (query.createdBy !== undefined) base = base.where('created_by', '=', query.createdBy);
    if (query.active === true) base = base.where('ended_at', 'is', null);
    if (query.active === false) base = base.where('ended_at', 'is not', null);
    let page = base.selectAll();
    const after = query.after;
    if (after !== undefined) {
      page = page.where((eb) =>
        eb.or([
          eb('created_at', '<', after.createdAt),
          eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.meetingId)]),
        ]),
      );
    }
    const [rows, count] = await Promise.all([
      page
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(query.limit + 1)
        .execute(),
      base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    const more = rows.length > query.limit;
    const meetings = rows.slice(0, query.limit).map(toMeeting);
    const last = meetings.at(-1);
    return {
      meetings,
      total: Number(count.n),
      next: more && last !== undefined ? { createdAt: last.createdAt, meetingId: last.id } : undefined,
    };
  }

  async countActive(tenant: string): Promise<number> {
    const row = await this.#db
      .selectFrom('gc_meetings')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('tenant', '=', tenant)
      .where('ended_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Marks the meeting ended; undefined when it does not exist or had already ended. */
  async end(tenant: string, id: MeetingId, at: Date): Promise<Meeting | undefined> {
    const row = await this.#db
      .updateTable('gc_meetings')
      .set({ ended_at: at })
      .where('id', '=', id)
      .where('tenant', '=', tenant)
      .where('ended_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : toMeeting(row);
  }

  /** Removes a meeting that never got going (no controller could take it). */
  async delete(tenant: string, id: MeetingId): Promise<void> {
    await this.#db.deleteFrom('gc_meetings').where('id', '=', id).where('tenant', '=', tenant).execute();
  }

  /**
   * Compare-and-set of the controller assignment: succeeds only if the meeting is still active and still on
   * `from`, so two Global Controller instances replacing the same dead controller cannot both win.
   */
  async reassign(
    id: MeetingId,
    from: ControllerId | null,
    to: { readonly controllerId: ControllerId; readonly region: string } | null,
  ): Promise<boolean> {
    let q = this.#db
      .updateTable('gc_meetings')
      .set({ controller_id: to?.controllerId ?? null, controller_region: to?.region ?? null })
      .where('id', '=', id)
      .where('ended_at', 'is', null);
    q = from === null ? q.where('controller_id', 'is', null) : q.where('controller_id', '=', from);
    const result = await q.executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Active meetings on a controller (for its registration reply and for moving them off a dead one). */
  async activeOnController(controllerId: ControllerId, limit = 10_000): Promise<Meeting[]> {
    const rows = await this.#db
      .selectFrom('gc_meetings')
      .selectAll()
      .where('controller_id', '=', controllerId)
      .where('ended_at', 'is', null)
      .limit(limit)
      .execute();
    return rows.map(toMeeting);
  }

  /** Active meetings whose controller is not among `live` (or that never got one). */
  async activeOrphans(live: readonly ControllerId[], limit: number): Promise<Meeting[]> {
    let q = this.#db.selectFrom('gc_meetings').selectAll().where('ended_at', 'is', null);
    q =
      live.length === 0
        ? q
        : q.where((eb) => eb.or([eb('controller_id', 'is', null), eb('controller_id', 'not in', [...live])]));
    const rows = await q.orderBy('created_at').limit(limit).execute();
    return rows.map(toMeeting);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }
}

function toMeeting(row: Selectable<MeetingsTable>): Meeting {
  return {
    id: row.id as MeetingId,
    code: row.code as MeetingCode,
    tenant: row.tenant,
    createdBy: row.created_by,
    displayName: row.display_name,
    maxParticipants: row.max_participants,
    settings: {
      enableE2eEncryption: row.enable_e2e_encryption,
      requireAuth: row.require_auth,
      recordingEnabled: row.recording_enabled,
    },
    controllerId: row.controller_id as ControllerId | null,
    controllerRegion: row.controller_region,
    createdAt: new Date(row.created_at),
    endedAt: row.ended_at === null ? null : new Date(row.ended_at),
  };
}

function isUniqueViolation(error: unknown, column: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; constraint?: unknown; detail?: unknown; message?: unknown };
  if (e.code !== UNIQUE_VIOLATION) return false;
  const text = [e.constraint, e.detail, e.message].filter((x) => typeof x === 'string').join(' ');
  return text.includes(column);
}
