// The key-value contract on a real Redis Cluster (three masters started here with redis-server --cluster-enabled
// and redis-cli --cluster create), and what only a cluster has: keys spread over every master, one DEL of keys in
// different slots, SCAN over all masters, discovery from a single seed node (REDIS_CLUSTER=true).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { openKeyValueStore, type KeyValueStore } from '../src/index.ts';
import {
  redisClusterAvailable,
  startRedisCluster,
  uniquePrefix,
  type LocalRedisCluster,
} from '../src/testing/index.ts';
import { keyValueContract } from './key-value-contract.ts';

const available = redisClusterAvailable();
let started: Promise<LocalRedisCluster> | undefined;
const cluster = (): Promise<LocalRedisCluster> => (started ??= startRedisCluster(3));

after(async () => {
  if (started !== undefined) await (await started).close();
});

if (available) {
  keyValueContract('Redis Cluster (three masters, seeds listed in the URL)', async () => {
    const { urls } = await cluster();
    const prefix = uniquePrefix('dt-cluster');
    return {
      kind: 'redis',
      open: (p?: string) => openKeyValueStore({ url: urls.join(','), prefix: `${prefix}${p ?? ''}` }),
      // The cluster is private to this file and stopped at the end.
      teardown: () => Promise.resolve(),
    };
  });
}

describe('Redis Cluster specifics', { skip: available ? false : 'redis-server or redis-cli not installed' }, () => {
  let urls: readonly string[] = [];
  let store: KeyValueStore;

  before(async () => {
    urls = (await cluster()).urls;
    // One seed node and REDIS_CLUSTER=true: the other masters are discovered.
    store = await openKeyValueStore({ url: urls[0] ?? '', cluster: true, prefix: uniquePrefix('dt-spread') });
  });

  after(async () => {
    await store.close();
  });

  test('keys land on every master; DEL across slots, keys() over every master, ping', async () => {
    const names = Array.from({ length: 60 }, (_, i) => `k:${String(i)}`);
    await Promise.all(names.map((n) => store.set(n, n)));
    const perMaster = await Promise.all(
      urls.map(async (url) => {
        const node = createClient({ url });
        node.on('error', () => undefined);
        await node.connect();
        try {
          return await node.dbSize();
        } finally {
          node.destroy();
        }
      }),
    );
    assert.ok(
      perMaster.every((n) => n > 0),
      `every master holds keys: ${perMaster.join(', ')}`,
    );
    assert.deepEqual((await store.keys('k:', { limit: 1000 })).sort(), [...names].sort());
    assert.equal(await store.del(...names.slice(0, 30), 'k:missing'), 30);
    assert.equal((await store.keys('k:', { limit: 1000 })).length, 30);
    await store.ping();
  });

  test('pub/sub across two stores on the cluster', async () => {
    const prefix = uniquePrefix('dt-pubsub');
    const a = await openKeyValueStore({ url: urls.join(','), prefix });
    const b = await openKeyValueStore({ url: urls.join(','), prefix });
    try {
      let resolveGot!: (m: string) => void;
      const got = new Promise<string>((resolve) => (resolveGot = resolve));
      await b.subscribe('events', (message) => {
        resolveGot(Buffer.from(message).toString());
      });
      // Published on whichever master the cluster client picks; the cluster bus carries it to the subscriber's.
      await a.publish('events', 'hello cluster');
      assert.equal(await got, 'hello cluster');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
