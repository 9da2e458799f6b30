import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemorySharedCache } from '../kv/shared-cache.ts';
import type { Tenant } from './tenant.ts';
import { TenantResolver } from './tenant-resolver.ts';

const acme: Tenant = {
  slug: 'acme',
  displayName: 'Acme',
  maxActiveMeetings: 5,
  maxParticipantsPerMeeting: 10,
  rateLimitPerMinute: 50,
  allowGuests: false,
};

function setup() {
  let now = 0;
  const lookups: string[] = [];
  const rows = new Map([['acme', acme]]);
  const resolver = new TenantResolver({
    source: {
      find: (slug) => {
        lookups.push(slug);
        return Promise.resolve(rows.get(slug));
      },
    },
    cache: new MemorySharedCache({ now: () => now }),
    now: () => now,
  });
  return { resolver, lookups, rows, advance: (ms: number) => (now += ms) };
}

describe('TenantResolver', () => {
  test('reads the database once per TTL (5 minutes)', async () => {
    const { resolver, lookups, rows, advance } = setup();
    assert.deepEqual(await resolver.resolve('acme'), acme);
    advance(60_000);
    assert.deepEqual(await resolver.resolve('acme'), acme);
    assert.deepEqual(lookups, ['acme']);
    rows.set('acme', { ...acme, rateLimitPerMinute: 7 });
    advance(240_001);
    assert.equal((await resolver.resolve('acme')).rateLimitPerMinute, 7);
    assert.deepEqual(lookups, ['acme', 'acme']);
  });

  test('unknown tenants are NOT_FOUND and remembered briefly', async () => {
    const { resolver, lookups, advance } = setup();
    await assert.rejects(resolver.resolve('ghost'), { code: 'NOT_FOUND' });
    await assert.rejects(resolver.resolve('ghost'), { code: 'NOT_FOUND' });
    assert.deepEqual(lookups, ['ghost']);
    advance(31_000);
    await assert.rejects(resolver.resolve('ghost'), { code: 'NOT_FOUND' });
    assert.deepEqual(lookups, ['ghost', 'ghost']);
  });

  test('invalidate makes the next read go to the database', async () => {
    const { resolver, lookups } = setup();
    await resolver.resolve('acme');
    await resolver.invalidate('acme');
    await resolver.resolve('acme');
    assert.deepEqual(lookups, ['acme', 'acme']);
  });
});
