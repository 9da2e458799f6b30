export { createTestDatabase, testDatabaseUrl, DEFAULT_TEST_DATABASE_URL, type TestDatabase } from './create-test-database.ts';
export { testRedisUrl, uniquePrefix, DEFAULT_TEST_REDIS_URL } from './test-redis.ts';
export { redisClusterAvailable, startRedisCluster, type LocalRedisCluster } from './redis-cluster.ts';
