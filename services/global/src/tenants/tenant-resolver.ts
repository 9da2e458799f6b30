import { GlobalError } from '../domain/errors.ts';
import type { SharedCache } from '../kv/shared-cache.ts';
import type { Tenant } from './tenant.ts';

export interface TenantSource {
  find(slug: string): Promise<Tenant | undefined>;
}

export interface TenantResolverOptions {
  readonly source: TenantSource;
  /** Redis (shared) or in-process. */
  readonly cache: SharedCache;
  /** architecture.md: tenant configuration is cached for 5 minutes. */
  readonly ttlMs?: number;
  /** Unknown tenants are remembered briefly so random subdomains do not each cost a database query. */
  readonly negativeTtlMs?: number;
  /** A per-process layer in front of Redis, for the hot path. */
  readonly localTtlMs?: number;
  readonly now?: () => number;
}

/** Tenant limits by slug: PostgreSQL behind a cache (Redis TTL 5 min, or in process), plus a tiny local layer. */
export class TenantResolver {
  readonly #source: TenantSource;
  readonly #cache: SharedCache;
  readonly #ttlMs: number;
  readonly #negativeTtlMs: number;
  readonly #localTtlMs: number;
  readonly #now: () => number;
  readonly #local = new Map<string, { tenant: Tenant | null; expiresAt: number }>();

  constructor(options: TenantResolverOptions) {
    this.#source = options.source;
    this.#cache = options.cache;
    this.#ttlMs = options.ttlMs ?? 300_000;
    this.#negativeTtlMs = options.negativeTtlMs ?? 30_000;
    this.#localTtlMs = options.localTtlMs ?? 5_000;
    this.#now = options.now ?? Date.now;
  }

  /** The tenant, or NOT_FOUND when no such tenant exists. */
  async resolve(slug: string): Promise<Tenant> {
    const tenant = await this.find(slug);
    if (tenant === undefined) throw GlobalError.notFound(`Tenant ${slug} does not exist`);
    return tenant;
  }

  async find(slug: string): Promise<Tenant | undefined> {
    const now = this.#now();
    const local = this.#local.get(slug);
    if (local !== undefined && local.expiresAt > now) return local.tenant ?? undefined;
    const cached = await this.#cache.get(`tenant:${slug}`);
    let tenant: Tenant | null;
    if (cached !== undefined) {
      tenant = decode(cached);
    } else {
      tenant = (await this.#source.find(slug)) ?? null;
      await this.#cache.set(
        `tenant:${slug}`,
        JSON.stringify(tenant),
        tenant === null ? this.#negativeTtlMs : this.#ttlMs,
      );
    }
    if (this.#local.size > 1000) this.#local.clear();
    this.#local.set(slug, { tenant, expiresAt: now + this.#localTtlMs });
    return tenant ?? undefined;
  }

  /** After an operator changes limits. */
  async invalidate(slug: string): Promise<void> {
    this.#local.delete(slug);
    await this.#cache.delete(`tenant:${slug}`);
  }
}

function decode(raw: string): Tenant | null {
  try {
    const v = JSON.parse(raw) as unknown;
    if (v === null) return null;
    if (typeof v === 'object' && typeof (v as Tenant).slug === 'string') return v as Tenant;
  } catch {
    // fall through: a corrupt entry is treated as a miss
  }
  return null;
}
