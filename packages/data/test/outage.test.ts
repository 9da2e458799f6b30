import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataErrorCode, isDataError, openDatabase, RedisKeyValueStore } from '../src/index.ts';
import { createTestDatabase, testRedisUrl, uniquePrefix } from '../src/testing/index.ts';
import { TcpProxy } from './tcp-proxy.ts';

async function until<T>(attempt: () => Promise<T>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`, { cause: error });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

test('Redis outage: commands fail with DATA_KV_COMMAND_FAILED, nothing crashes, service resumes', async () => {
  const target = new URL(testRedisUrl());
  const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
  await proxy.start();
  const warnings: object[] = [];
  const store = await RedisKeyValueStore.connect({
    url: `redis://127.0.0.1:${String(proxy.port)}`,
    prefix: uniquePrefix('dt-data-outage'),
    commandTimeoutMs: 300,
    maxReconnectDelayMs: 100,
    logger: { warn: (d) => warnings.push(d), error: (d) => warnings.push(d) },
  });
  try {
    await store.set('k', 'before');
    const received: string[] = [];
    await store.subscribe('ch', (m) => received.push(Buffer.from(m).toString()));

    await proxy.cut();
    await assert.rejects(store.get('k'), (e: unknown) => isDataError(e, DataErrorCode.kvCommandFailed));
    await assert.rejects(store.ping(), (e: unknown) => isDataError(e, DataErrorCode.kvCommandFailed));
    assert.ok(warnings.length >= 1, 'the outage was logged');

    await proxy.start(); // same port: the client reconnects by itself
    assert.equal(await until(() => store.get('k'), 'Redis to come back'), 'before');
    await until(async () => {
      await store.publish('ch', 'after');
      await new Promise((r) => setTimeout(r, 30));
      if (received.length === 0) throw new Error('not yet');
    }, 'the subscription to come back');
    assert.equal(received[0], 'after');
    await store.del('k');
  } finally {
    await store.close();
    await proxy.cut();
  }
});

test('closing a Redis store during an outage does not hang', async () => {
  const target = new URL(testRedisUrl());
  const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
  await proxy.start();
  const store = await RedisKeyValueStore.connect({
    url: `redis://127.0.0.1:${String(proxy.port)}`,
    prefix: uniquePrefix('dt-data-outage'),
    maxReconnectDelayMs: 100,
  });
  await store.subscribe('ch', () => undefined);
  await proxy.cut();
  const pending = store.get('k'); // queued while offline; must be settled by close()
  await store.close();
  await assert.rejects(pending);
  await assert.rejects(store.get('k'), (e: unknown) => isDataError(e, DataErrorCode.closed));
});

test('PostgreSQL outage: queries fail with typed errors, the pool recovers, nothing crashes', async () => {
  const testDb = await createTestDatabase({ prefix: 'dt_data' });
  const target = new URL(testDb.url);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
  await proxy.start();
  const viaProxy = new URL(testDb.url);
  viaProxy.host = `127.0.0.1:${String(proxy.port)}`;
  const warnings: object[] = [];
  const database = await openDatabase({
    url: viaProxy.toString(),
    pool: { connectionTimeoutMs: 500, max: 2 },
    logger: { warn: (d) => warnings.push(d), error: (d) => warnings.push(d) },
  });
  try {
    await database.ping();
    await proxy.cut();
    await assert.rejects(database.ping(), (e: unknown) => isDataError(e, DataErrorCode.connectionFailed));
    // While the proxy is down, new connections fail too (connect timeout / refused), still typed.
    await assert.rejects(database.ping(), (e: unknown) => isDataError(e, DataErrorCode.connectionFailed));
    assert.ok(warnings.length >= 1, 'the dropped connection was logged');
    await proxy.start();
    await until(() => database.ping(), 'PostgreSQL to come back');
  } finally {
    await database.close();
    await proxy.cut();
    await testDb.drop();
  }
});
