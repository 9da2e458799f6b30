import { ScratchRedisStore } from '../testing/scratch-redis-store.ts';
import { signalingSuite } from './signaling.suite.ts';

// The same scenarios with meeting state in real Redis (TEST_REDIS_URL, default 127.0.0.1:6379).
signalingSuite('redis store', () => ScratchRedisStore.open());
