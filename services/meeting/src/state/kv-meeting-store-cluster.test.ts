import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openKeyValueStore } from '@darktower/data';
import {
  redisClusterAvailable,
  startRedisCluster,
  uniquePrefix,
  type LocalRedisCluster,
} from '@darktower/data/testing';
import { KvMeetingStore } from './kv-meeting-store.ts';
import { meetingStoreContract } from './meeting-store.contract.ts';

// The meeting store on a real Redis Cluster (three masters started here), reached as the controller does with
// REDIS_URL=<one seed> and REDIS_CLUSTER=true: every operation of the store works when its keys hash to
// different slots on different masters.
let started: Promise<LocalRedisCluster> | undefined;
after(async () => {
  if (started !== undefined) await (await started).close();
});

if (redisClusterAvailable()) {
  meetingStoreContract('redis cluster store', async () => {
    const { urls } = await (started ??= startRedisCluster(3));
    const kv = await openKeyValueStore({
      url: urls[0] ?? '',
      cluster: true,
      prefix: uniquePrefix('mc-cluster'),
    });
    // 1 s, not 60 ms: on a loaded machine 60 ms pass between two calls and the TTL checks flake.
    return { store: new KvMeetingStore(kv), advance: (ms: number) => sleep(ms), shortTtlMs: 1_000 };
  });
}
