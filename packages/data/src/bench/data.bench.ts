// Benchmarks for @darktower/data. Prints a table and writes bench/results/data.json at the
// repository root. Needs the local PostgreSQL and Redis. Numbers depend on the machine (2 shared cores).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { MemoryKeyValueStore, openDatabase, RedisKeyValueStore, type KeyValueStore } from '../index.ts';
import { createTestDatabase, testRedisUrl, uniquePrefix } from '../testing/index.ts';

const DURATION_MS = 1_000;

/** Runs `batch` (which performs `perBatch` operations) repeatedly for DURATION_MS; returns ops/s. */
async function rate(perBatch: number, batch: () => Promise<unknown>): Promise<number> {
  await batch(); // warm-up
  let ops = 0;
  const start = performance.now();
  while (performance.now() - start < DURATION_MS) {
    await batch();
    ops += perBatch;
  }
  return Math.round(ops / ((performance.now() - start) / 1_000));
}

async function kvRates(store: KeyValueStore, label: string, results: Record<string, number>): Promise<void> {
  let i = 0;
  results[`kv_${label}_set_get_sequential_ops_per_s`] = await rate(2, async () => {
    i += 1;
    await store.set(`k${String(i % 100)}`, 'value');
    await store.get(`k${String(i % 100)}`);
  });
  results[`kv_${label}_incr_50_concurrent_ops_per_s`] = await rate(50, () =>
    Promise.all(Array.from({ length: 50 }, (_, n) => store.incrBy(`c${String(n)}`, 1, { ttlMs: 60_000 }))),
  );
  let received = 0;
  const stop = await store.subscribe('bench', () => {
    received += 1;
  });
  const sent = 10_000;
  const start = performance.now();
  await Promise.all(Array.from({ length: sent }, () => store.publish('bench', 'payload-of-some-bytes')));
  while (received < sent && performance.now() - start < 10_000) await new Promise((r) => setImmediate(r));
  results[`kv_${label}_pubsub_delivered_msgs_per_s`] = Math.round(received / ((performance.now() - start) / 1_000));
  await stop();
}

const results: Record<string, number> = {};

const memory = new MemoryKeyValueStore();
await kvRates(memory, 'memory', results);
await memory.close();

const prefix = uniquePrefix('dt-data-bench');
const redis = await RedisKeyValueStore.connect({ url: testRedisUrl(), prefix });
await kvRates(redis, 'redis', results);
const leftovers = await redis.keys('', { limit: 10_000 });
if (leftovers.length > 0) await redis.del(...leftovers);
await redis.close();

const testDb = await createTestDatabase({ prefix: 'dt_data_bench' });
const postgres = await openDatabase({ url: testDb.url });
results.db_postgres_select1_sequential_per_s = await rate(1, () => sql`select 1`.execute(postgres.db));
results.db_postgres_select1_10_concurrent_per_s = await rate(10, () =>
  Promise.all(Array.from({ length: 10 }, () => sql`select 1`.execute(postgres.db))),
);
await postgres.close();
await testDb.drop();

const started = performance.now();
const pglite = await openDatabase({});
results.db_pglite_start_ms = Math.round(performance.now() - started);
results.db_pglite_select1_sequential_per_s = await rate(1, () => sql`select 1`.execute(pglite.db));
await pglite.close();

console.table(Object.entries(results).map(([name, value]) => ({ benchmark: name, value })));
const out = fileURLToPath(new URL('../../../../bench/results/data.json', import.meta.url));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    { name: 'data', node: process.version, date: new Date().toISOString(), durationMsPerBenchmark: DURATION_MS, results },
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${out}`);
