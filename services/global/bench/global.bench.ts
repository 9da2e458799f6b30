// Benchmark of the Global Controller against real PostgreSQL and Redis: GET /api/v1/meetings/{id} and
// POST /api/v1/meetings with autocannon at concurrency 50. The service runs as its own process (src/main.ts);
// a Meeting Controller on the real Connect wire takes the assignments. Writes bench/results/global.json.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { createTestDatabase, testRedisUrl, uniquePrefix } from '@darktower/data/testing';
import { AUDIENCE, ISSUER, TestIdentity } from '../test/support/identity.ts';
import { TestMeetingController } from '../test/support/test-meeting-controller.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 50;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] ?? 0;
}

interface Run {
  requests_per_s: number;
  total_requests: number;
  non_2xx: number;
  errors: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  mean_ms: number;
  service_cpu_cores: number;
  requests_per_s_per_core: number;
}

async function run(pid: number, options: Parameters<typeof autocannon>[0]): Promise<Run> {
  const times: number[] = [];
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const instance = autocannon(options);
  instance.on('response', (_c, _s, _b, responseTime) => {
    times.push(responseTime);
  });
  const result = await instance;
  const wall = (performance.now() - t0) / 1000;
  const cores = (cpuSeconds(pid) - cpu0) / wall;
  times.sort((x, y) => x - y);
  const rps = result.requests.total / wall;
  return {
    requests_per_s: Math.round(rps),
    total_requests: result.requests.total,
    non_2xx: result.non2xx,
    errors: result.errors,
    p50_ms: percentile(times, 50),
    p95_ms: percentile(times, 95),
    p99_ms: percentile(times, 99),
    mean_ms: Math.round((times.reduce((a, b) => a + b, 0) / Math.max(1, times.length)) * 100) / 100,
    service_cpu_cores: Math.round(cores * 100) / 100,
    requests_per_s_per_core: Math.round(rps / Math.max(cores, 0.01)),
  };
}

async function main(): Promise<void> {
  const db = await createTestDatabase({ prefix: 'gc_bench' });
  const identity = await TestIdentity.start();
  const mc = await TestMeetingController.start('mc-bench');
  mc.maxMeetings = 10_000_000;
  const port = await freePort();
  const opsPort = await freePort();
  const child = spawn(
    join(root, 'node_modules/.bin/node'),
    [
      ...(process.env.BENCH_CPU_PROF === undefined
        ? []
        : ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]),
      '--conditions=source',
      '--import',
      'tsx',
      join(here, '../src/main.ts'),
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        REDIS_URL: testRedisUrl(),
        GC_REDIS_PREFIX: uniquePrefix('gcbench'),
        GC_PORT: String(port),
        GC_OPS_PORT: String(opsPort),
        AUTH_JWKS_URLS: identity.jwks.url,
        AUTH_ISSUERS: ISSUER,
        AUTH_AUDIENCE: AUDIENCE,
        REGION: 'test-region',
        // The limiter still runs (and is measured); the bench client is one address, so the limit is lifted.
        RATE_LIMIT_PER_MINUTE: '10000000',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the Global Controller');
  const base = `http://127.0.0.1:${port}`;
  let beat: NodeJS.Timeout | undefined;
  try {
    for (let i = 0; ; i++) {
      try {
        const r = await fetch(`http://127.0.0.1:${opsPort}/ready`);
        if (r.ok) break;
      } catch {
        // not listening yet
      }
      if (i > 600) throw new Error('Global Controller did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The default tenant allows 1 000 active meetings; the create benchmark makes many more.
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query("update gc_tenants set max_active_meetings = 100000000 where slug = 'default'");
    await admin.end();
    await mc.register(base, await identity.service('svc-meeting'));
    beat = setInterval(() => {
      void mc.heartbeat().catch(() => undefined);
    }, 2000);
    const token = await identity.user('bench-user');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${base}/api/v1/meetings`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ display_name: 'bench' }),
    });
    const meeting = (await created.json()) as { meeting_id: string };
    // Warm-up: JIT, connection pools, JWKS cache.
    await run(pid, {
      url: `${base}/api/v1/meetings/${meeting.meeting_id}`,
      connections: 10,
      duration: 2,
      headers,
    });

    const get = await run(pid, {
      url: `${base}/api/v1/meetings/${meeting.meeting_id}`,
      connections: CONNECTIONS,
      duration: DURATION_S,
      headers,
    });
    console.log('GET  /api/v1/meetings/{id}', get);
    const post = await run(pid, {
      url: `${base}/api/v1/meetings`,
      method: 'POST',
      connections: CONNECTIONS,
      duration: DURATION_S,
      headers,
      body: JSON.stringify({ display_name: 'bench meeting', max_participants: 10 }),
    });
    console.log('POST /api/v1/meetings     ', post);

    const results = {
      benchmark: 'global',
      timestamp: new Date().toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      setup:
        'Global Controller as its own process (src/main.ts) on loopback, PostgreSQL 127.0.0.1:5432, Redis 127.0.0.1:6379; ' +
        'autocannon in the bench process (HTTP/1.1, keep-alive), one Meeting Controller over Connect; every request ' +
        'verifies an EdDSA bearer token, resolves the tenant and goes through the Redis rate limiter. The machine is ' +
        'shared with other workloads, so numbers vary between runs.',
      load_average_1m_at_end: Math.round((loadavg()[0] ?? 0) * 100) / 100,
      connections: CONNECTIONS,
      duration_s: DURATION_S,
      target: { p95_ms_under: 10, reads_per_s_per_core_at_least: 5000 },
      get_meeting: get,
      create_meeting: post,
    };
    const out = join(root, 'bench/results/global.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`wrote ${out}`);
  } finally {
    clearInterval(beat);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await mc.close();
    await identity[Symbol.asyncDispose]();
    await db.drop();
  }
}

await main();
