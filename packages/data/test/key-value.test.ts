import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import {
  DataErrorCode,
  isDataError,
  MemoryKeyValueHub,
  MemoryKeyValueStore,
  openKeyValueStore,
  RedisKeyValueStore,
} from '../src/index.ts';
import { testRedisUrl, uniquePrefix } from '../src/testing/index.ts';
import { keyValueContract } from './key-value-contract.ts';

async function deleteByPrefix(prefix: string): Promise<void> {
  const admin = createClient({ url: testRedisUrl() });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    for await (const batch of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      if (batch.length > 0) await admin.del(batch);
    }
  } finally {
    admin.destroy();
  }
}

keyValueContract('Redis (two clients, one unique prefix)', () => {
  const prefix = uniquePrefix('dt-data');
  const opened: string[] = [];
  return Promise.resolve({
    kind: 'redis',
    open: (p?: string) => {
      const full = p === undefined ? prefix : `${prefix}${p}`;
      opened.push(full);
      return openKeyValueStore({ url: testRedisUrl(), prefix: full });
    },
    teardown: async () => {
      await deleteByPrefix(prefix);
    },
  });
});

keyValueContract('memory (two stores on one hub)', () => {
  const hub = new MemoryKeyValueHub({ sweepIntervalMs: 50 });
  return Promise.resolve({
    kind: 'memory',
    open: (p?: string) => openKeyValueStore({ hub, prefix: `test:${p ?? ''}` }),
    teardown: () => {
      hub.close();
      return Promise.resolve();
    },
  });
});

describe('RedisKeyValueStore', () => {
  test('refuses non-redis URLs and fails fast on an unreachable server', async () => {
    await assert.rejects(RedisKeyValueStore.connect({ url: 'http://127.0.0.1:6379' }), (e: unknown) =>
      isDataError(e, DataErrorCode.invalidArgument),
    );
    await assert.rejects(
      RedisKeyValueStore.connect({ url: 'redis://127.0.0.1:1', initialConnectAttempts: 1 }),
      (e: unknown) => isDataError(e, DataErrorCode.connectionFailed),
    );
  });

  test('survives its connections being killed: commands and subscriptions resume', async () => {
    const prefix = uniquePrefix('dt-data');
    const name = `dt-data-${prefix.split(':')[1] ?? 'x'}`;
    const warnings: object[] = [];
    const store = await RedisKeyValueStore.connect({
      url: testRedisUrl(),
      prefix,
      name,
      logger: { warn: (d) => warnings.push(d), error: (d) => warnings.push(d) },
    });
    const admin = createClient({ url: testRedisUrl() });
    admin.on('error', () => undefined);
    await admin.connect();
    try {
      const got: string[] = [];
      await store.subscribe('ch', (m) => got.push(Buffer.from(m).toString()));
      await store.set('k', 'v');
      // Kill only our own two connections (found by their client name).
      const list = await admin.clientList();
      const ours = list.filter((c) => c.name === name);
      assert.equal(ours.length, 2);
      for (const client of ours) await admin.sendCommand(['CLIENT', 'KILL', 'ID', String(client.id)]);
      // Commands work again once reconnected (retried here: the first may hit the dead socket).
      const deadline = Date.now() + 10_000;
      let value: string | undefined;
      for (;;) {
        try {
          value = await store.get('k');
          break;
        } catch (error) {
          assert.ok(isDataError(error, DataErrorCode.kvCommandFailed));
          if (Date.now() > deadline) throw error;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      assert.equal(value, 'v');
      // The subscription was restored on the new subscriber connection.
      while (got.length === 0) {
        if (Date.now() > deadline) assert.fail('subscription was not restored');
        await store.publish('ch', 'again');
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(got[0], 'again');
      assert.ok(warnings.length >= 1, 'the dropped connection was reported to the logger');
    } finally {
      await store.close();
      await deleteByPrefix(prefix);
      admin.destroy();
    }
  });
});

describe('MemoryKeyValueStore', () => {
  test('the sweep removes expired keys nobody reads', async () => {
    const hub = new MemoryKeyValueHub({ sweepIntervalMs: 10 });
    const store = new MemoryKeyValueStore({ hub });
    try {
      await store.set('a', '1', { ttlMs: 20 });
      await store.set('b', '1');
      const size = (): number => hub.size;
      assert.equal(size(), 2);
      const deadline = Date.now() + 5_000;
      while (size() !== 1) {
        if (Date.now() > deadline) assert.fail('expired key was never swept');
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      await store.close();
      hub.close();
    }
  });

  test('a private hub is closed with its store; a shared hub outlives its stores', async () => {
    const own = new MemoryKeyValueStore();
    await own.set('k', 'v');
    await own.close();
    await assert.rejects(own.get('k'), (e: unknown) => isDataError(e, DataErrorCode.closed));

    const hub = new MemoryKeyValueHub();
    const one = new MemoryKeyValueStore({ hub, prefix: 'svc1:' });
    const two = new MemoryKeyValueStore({ hub, prefix: 'svc1:' });
    await one.set('k', 'v');
    await one.close();
    assert.equal(await two.get('k'), 'v');
    hub.close();
    await assert.rejects(two.get('k'), (e: unknown) => isDataError(e, DataErrorCode.closed));
    await two.close();
  });

  test('TTLs follow the hub clock exactly (lazy expiry on read)', async () => {
    let now = 1_000_000;
    const hub = new MemoryKeyValueHub({ now: () => now, sweepIntervalMs: 60_000 });
    const store = new MemoryKeyValueStore({ hub });
    try {
      await store.set('k', 'v', { ttlMs: 100 });
      await store.incrBy('n', 1, { ttlMs: 50 });
      now += 40;
      assert.equal(await store.ttl('k'), 60);
      assert.equal(await store.incrBy('n', 1, { ttlMs: 1_000 }), 2);
      assert.equal(await store.ttl('n'), 10);
      now += 10;
      assert.equal(await store.get('n'), undefined);
      now += 49;
      assert.equal(await store.get('k'), 'v');
      now += 1;
      assert.equal(await store.get('k'), undefined);
      assert.equal(await store.setIfAbsent('k', 'again', { ttlMs: 5 }), true);
      assert.equal(await store.expire('k', 1_000), true);
      now += 999;
      assert.deepEqual(await store.keys(''), ['k']);
      now += 1;
      assert.deepEqual(await store.keys(''), []);
      assert.equal(hub.size, 0);
    } finally {
      await store.close();
      hub.close();
    }
  });

  test('the hub refuses keys beyond maxKeys', async () => {
    const store = new MemoryKeyValueStore({ hubOptions: { maxKeys: 2 } });
    try {
      await store.set('a', '1');
      await store.set('b', '1');
      await store.set('a', '2'); // overwriting is fine
      await assert.rejects(store.set('c', '1'), (e: unknown) => isDataError(e, DataErrorCode.kvTooLarge));
    } finally {
      await store.close();
    }
  });
});
