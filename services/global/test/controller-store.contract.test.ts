import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testRedisUrl, uniquePrefix } from '@darktower/data/testing';
import type { ControllerId } from '../src/domain/ids.ts';
import { connectRedis, type RedisClient } from '../src/kv/redis-client.ts';
import { MemorySharedCache, RedisSharedCache, type SharedCache } from '../src/kv/shared-cache.ts';
import type { ControllerRecord } from '../src/registry/controller.ts';
import type { ControllerStore } from '../src/registry/controller-store.ts';
import { MemoryControllerStore } from '../src/registry/memory-controller-store.ts';
import { RedisControllerStore } from '../src/registry/redis-controller-store.ts';

// One contract, every implementation: in-process (single instance) and Redis (shared by instances).
const clients: RedisClient[] = [];
after(async () => {
  for (const c of clients) await c.close();
});

async function redis(): Promise<RedisClient> {
  const c = await connectRedis(testRedisUrl());
  clients.push(c);
  return c;
}

function record(id: string, over: Partial<ControllerRecord> = {}): ControllerRecord {
  return {
    id: id as ControllerId,
    owner: 'svc',
    region: 'eu',
    rpcEndpoint: 'http://127.0.0.1:1',
    clientUrl: 'https://mc/wt',
    capacity: { maxMeetings: 10, currentMeetings: 1, maxParticipants: 100, currentParticipants: 2 },
    health: 'healthy',
    registeredAt: 1,
    lastHeartbeatAt: 2,
    ...over,
  };
}

const stores: [string, () => Promise<ControllerStore>][] = [
  ['memory', () => Promise.resolve(new MemoryControllerStore())],
  ['redis', async () => new RedisControllerStore(await redis(), uniquePrefix('gcstore'))],
];

for (const [name, make] of stores) {
  describe(`ControllerStore contract: ${name}`, () => {
    test('put, get, list, remove', async () => {
      const store = await make();
      assert.equal(await store.get('a' as ControllerId), undefined);
      await store.put(record('a'), 60_000);
      await store.put(record('b', { health: 'degraded' }), 60_000);
      assert.deepEqual(await store.get('a' as ControllerId), record('a'));
      assert.deepEqual((await store.list()).map((r) => r.id).sort(), ['a', 'b']);
      await store.put(record('a', { health: 'unhealthy' }), 60_000);
      assert.equal((await store.get('a' as ControllerId))?.health, 'unhealthy');
      await store.remove('a' as ControllerId);
      assert.deepEqual(
        (await store.list()).map((r) => r.id),
        ['b'],
      );
    });

    test('pending counters add up and reset', async () => {
      const store = await make();
      const ids = ['a', 'b'] as ControllerId[];
      await store.addPending('a' as ControllerId, 60_000);
      await store.addPending('a' as ControllerId, 60_000);
      assert.deepEqual(
        [...(await store.pending(ids))],
        [
          ['a', 2],
          ['b', 0],
        ],
      );
      await store.resetPending('a' as ControllerId);
      assert.equal((await store.pending(ids)).get('a' as ControllerId), 0);
    });

    test('records expire after their retention', async () => {
      const store = await make();
      await store.put(record('short'), 50);
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.equal(await store.get('short' as ControllerId), undefined);
      assert.deepEqual(await store.list(), []);
    });
  });
}

const caches: [string, () => Promise<SharedCache>][] = [
  ['memory', () => Promise.resolve(new MemorySharedCache())],
  ['redis', async () => new RedisSharedCache(await redis(), uniquePrefix('gccache'))],
];

for (const [name, make] of caches) {
  describe(`SharedCache contract: ${name}`, () => {
    test('set, get, expire, delete', async () => {
      const cache = await make();
      assert.equal(await cache.get('k'), undefined);
      await cache.set('k', 'v', 60_000);
      assert.equal(await cache.get('k'), 'v');
      await cache.delete('k');
      assert.equal(await cache.get('k'), undefined);
      await cache.set('t', 'v', 50);
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.equal(await cache.get('t'), undefined);
    });
  });
}

test('the in-process cache stays bounded under hostile keys', async () => {
  const cache = new MemorySharedCache({ maxEntries: 100 });
  for (let i = 0; i < 1000; i++) await cache.set(`tenant:${i}`, 'x', 60_000);
  let present = 0;
  for (let i = 0; i < 1000; i++) if ((await cache.get(`tenant:${i}`)) !== undefined) present++;
  assert.equal(present, 100);
  assert.equal(await cache.get('tenant:999'), 'x');
});
