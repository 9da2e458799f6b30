import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isDataError, MemoryKeyValueStore, RedisKeyValueStore, type KeyValueStore } from '../src/index.ts';
import { testRedisUrl, uniquePrefix } from '../src/testing/index.ts';

// Random operation sequences run against real Redis and the memory store; every result (value or
// error code) must match. This is what makes tests written against the memory store trustworthy.

const key = fc.constantFrom('a', 'b', 'c');
const value = fc.constantFrom('1', '-5', '9', '0', 'x', '01', '-0', '+1', ' 1', '', 'héllo');
const ttl = fc.option(fc.constant(60_000), { nil: undefined });
const op = fc.oneof(
  fc.record({ op: fc.constant('get' as const), k: key }),
  fc.record({ op: fc.constant('set' as const), k: key, v: value, ttl }),
  fc.record({ op: fc.constant('setIfAbsent' as const), k: key, v: value, ttl }),
  fc.record({ op: fc.constant('del' as const), ks: fc.array(key, { minLength: 1, maxLength: 3 }) }),
  fc.record({ op: fc.constant('expire' as const), k: key }),
  fc.record({ op: fc.constant('ttl' as const), k: key }),
  fc.record({ op: fc.constant('incrBy' as const), k: key, n: fc.integer({ min: -3, max: 3 }), ttl }),
  fc.record({ op: fc.constant('getDel' as const), k: key }),
  fc.record({ op: fc.constant('hset' as const), k: key, f: fc.constantFrom('f', 'g'), v: value }),
  fc.record({ op: fc.constant('hget' as const), k: key, f: fc.constantFrom('f', 'g') }),
  fc.record({ op: fc.constant('hgetall' as const), k: key }),
  fc.record({ op: fc.constant('hdel' as const), k: key, fs: fc.array(fc.constantFrom('f', 'g'), { minLength: 1 }) }),
  fc.record({ op: fc.constant('sadd' as const), k: key, ms: fc.array(value, { minLength: 1, maxLength: 3 }) }),
  fc.record({ op: fc.constant('srem' as const), k: key, ms: fc.array(value, { minLength: 1, maxLength: 3 }) }),
  fc.record({ op: fc.constant('smembers' as const), k: key }),
  fc.record({ op: fc.constant('keys' as const) }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

async function apply(store: KeyValueStore, o: Op): Promise<unknown> {
  try {
    switch (o.op) {
      case 'get':
        return await store.get(o.k);
      case 'set':
        await store.set(o.k, o.v, { ttlMs: o.ttl });
        return 'ok';
      case 'setIfAbsent':
        return await store.setIfAbsent(o.k, o.v, { ttlMs: o.ttl });
      case 'del':
        return await store.del(...o.ks);
      case 'expire':
        return await store.expire(o.k, 60_000);
      case 'ttl':
        // Only whether a TTL exists: the remaining milliseconds depend on timing.
        return (await store.ttl(o.k)) === undefined ? 'none' : 'some';
      case 'incrBy':
        return await store.incrBy(o.k, o.n, { ttlMs: o.ttl });
      case 'getDel':
        return await store.getDel(o.k);
      case 'hset':
        return await store.hset(o.k, { [o.f]: o.v });
      case 'hget':
        return await store.hget(o.k, o.f);
      case 'hgetall':
        return await store.hgetall(o.k);
      case 'hdel':
        return await store.hdel(o.k, ...o.fs);
      case 'sadd':
        return await store.sadd(o.k, ...o.ms);
      case 'srem':
        return await store.srem(o.k, ...o.ms);
      case 'smembers':
        return (await store.smembers(o.k)).sort();
      case 'keys':
        return (await store.keys('')).sort();
    }
  } catch (error) {
    if (isDataError(error)) return { error: error.code };
    throw error;
  }
}

test('Redis and the memory store agree on random operation sequences', async () => {
  const base = uniquePrefix('dt-data-diff');
  const redis = await RedisKeyValueStore.connect({ url: testRedisUrl(), prefix: base });
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        run += 1;
        const prefix = `${base}${String(run)}:`;
        const real = await RedisKeyValueStore.connect({ url: testRedisUrl(), prefix });
        const memory = new MemoryKeyValueStore({ prefix });
        try {
          for (const [index, o] of ops.entries()) {
            const expected = await apply(real, o);
            const actual = await apply(memory, o);
            assert.deepEqual(actual, expected, `step ${String(index)}: ${JSON.stringify(o)}`);
          }
        } finally {
          const keys = await real.keys('');
          if (keys.length > 0) await real.del(...keys);
          await real.close();
          await memory.close();
        }
      }),
      { numRuns: 60 },
    );
  } finally {
    await redis.close();
  }
});
