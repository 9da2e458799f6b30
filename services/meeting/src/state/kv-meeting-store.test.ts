import { setTimeout as sleep } from 'node:timers/promises';
import { ScratchRedisStore } from '../testing/scratch-redis-store.ts';
import { meetingStoreContract } from './meeting-store.contract.ts';

// Real Redis (TEST_REDIS_URL, default 127.0.0.1:6379).
meetingStoreContract('redis store', async () => ({
  store: await ScratchRedisStore.open(),
  advance: (ms: number) => sleep(ms),
  // Real time: the TTL must outlast a few round trips on a loaded machine (60 ms expired between two calls there).
  shortTtlMs: 1_000,
}));
