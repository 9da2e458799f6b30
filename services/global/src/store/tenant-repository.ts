import type { Kysely } from 'kysely';
import type { Tenant } from '../tenants/tenant.ts';
import type { GlobalDatabase } from './schema.ts';

export class TenantRepository {
  readonly #db: Kysely<GlobalDatabase>;

  constructor(db: Kysely<GlobalDatabase>) {
    this.#db = db;
  }

  async find(slug: string): Promise<Tenant | undefined> {
    const row = await this.#db
      .selectFrom('gc_tenants')
      .selectAll()
      .where('slug', '=', slug)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      slug: row.slug,
      displayName: row.display_name,
      maxActiveMeetings: row.max_active_meetings,
      maxParticipantsPerMeeting: row.max_participants_per_meeting,
      rateLimitPerMinute: row.rate_limit_per_minute,
      allowGuests: row.allow_guests,
    };
  }

  /** For operators and tests: creates or updates a tenant's limits. */
  async upsert(tenant: Tenant): Promise<void> {
    const values = {
      display_name: tenant.displayName,
      max_active_meetings: tenant.maxActiveMeetings,
      max_participants_per_meeting: tenant.maxParticipantsPerMeeting,
      rate_limit_per_minute: tenant.rateLimitPerMinute,
      allow_guests: tenant.allowGuests,
    };
    await this.#db
      .insertInto('gc_tenants')
      .values({ slug: tenant.slug, ...values })
      .onConflict((oc) => oc.column('slug').doUpdateSet(values))
      .execute();
  }
}
