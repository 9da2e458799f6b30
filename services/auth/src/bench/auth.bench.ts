// `npm run bench -w @darktower/auth`: token issuance latency, verification throughput, argon2id cost.
// Writes bench/results/auth.json at the repository root. Uses PostgreSQL when BENCH_DATABASE_URL is set, else PGlite.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createTokenVerifier } from '@darktower/auth-verifier';
import { createLogger, createMetrics } from '@darktower/service-kit';
import { openDatabase } from '@darktower/data';
import { buildAuthController } from '../auth-controller.ts';
import { authConfig } from '../config.ts';
import type { AuthDatabase } from '../db/schema.ts';
import { OWASP_ARGON2ID, PasswordHasher } from '../passwords/password-hasher.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const OUT = join(ROOT, 'bench/results/auth.json');
const execFileAsync = promisify(execFile);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] ?? Number.NaN;
}
const round = (n: number): number => Math.round(n * 1000) / 1000;

async function latencies(
  total: number,
  concurrency: number,
  op: () => Promise<void>,
): Promise<{
  n: number;
  concurrency: number;
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
  throughput_per_s: number;
}> {
  const samples: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const t0 = performance.now();
        await op();
        samples.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = performance.now() - started;
  samples.sort((a, b) => a - b);
  return {
    n: samples.length,
    concurrency,
    p50_ms: round(percentile(samples, 50)),
    p99_ms: round(percentile(samples, 99)),
    mean_ms: round(samples.reduce((a, b) => a + b, 0) / samples.length),
    throughput_per_s: Math.round((samples.length / elapsed) * 1000),
  };
}

const databaseUrl = process.env.BENCH_DATABASE_URL;
const adminSecret = randomBytes(32).toString('base64url');
const config = authConfig({
  masterKey: randomBytes(32).toString('base64'),
  port: '0',
  opsPort: '0',
  logLevel: 'silent',
  tokenIpRequests: '1000000',
  loginIpAttempts: '100000',
  bootstrapAdminClientId: 'svc_bootstrap_admin_bench',
  bootstrapAdminClientSecret: adminSecret,
  ...(databaseUrl === undefined ? {} : { databaseUrl }),
});
const database = await openDatabase<AuthDatabase>(databaseUrl === undefined ? {} : { url: databaseUrl });
const controller = await buildAuthController(config, {
  logger: createLogger({ component: 'ac-bench', level: 'silent' }),
  metrics: createMetrics(),
  database,
});
const { http } = await controller.listen();

const post = async (path: string, body: string, headers: Record<string, string>): Promise<Response> => {
  const res = await fetch(`${http.url}${path}`, { method: 'POST', headers, body });
  if (res.status !== 200 && res.status !== 201) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res;
};
const json = { 'content-type': 'application/json' };
const adminToken = (
  (await (
    await post(
      '/api/v1/auth/token',
      JSON.stringify({
        grant_type: 'client_credentials',
        client_id: 'svc_bootstrap_admin_bench',
        client_secret: adminSecret,
      }),
      json,
    )
  ).json()) as { access_token: string }
).access_token;
const svc = (await (
  await post(
    '/v1/admin/services/register',
    JSON.stringify({ name: 'bench', scopes: ['service.read.mh', 'service.write.mc'] }),
    { ...json, authorization: `Bearer ${adminToken}` },
  )
).json()) as { client_id: string; client_secret: string };
const form = new URLSearchParams({
  grant_type: 'client_credentials',
  client_id: svc.client_id,
  client_secret: svc.client_secret,
}).toString();

// HTTP: autocannon in its own process (so the load generator does not share this event loop), form body.
interface CannonResult {
  latency: { p50: number; p99: number; average: number };
  requests: { average: number };
  non2xx: number;
  errors: number;
  '2xx': number;
}
async function cannon(
  connections: number,
  amount: number,
): Promise<{
  n: number;
  concurrency: number;
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
  throughput_per_s: number;
  non_2xx: number;
}> {
  const bin = join(ROOT, 'node_modules/.bin/autocannon');
  const { stdout } = await execFileAsync(
    bin,
    [
      '-j',
      '-c',
      String(connections),
      '-a',
      String(amount),
      '-m',
      'POST',
      '-H',
      'content-type=application/x-www-form-urlencoded',
      '-b',
      form,
      `${http.url}/api/v1/auth/token`,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const r = JSON.parse(stdout) as CannonResult;
  return {
    n: r['2xx'],
    concurrency: connections,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    mean_ms: round(r.latency.average),
    throughput_per_s: Math.round(r.requests.average),
    non_2xx: r.non2xx + r.errors,
  };
}
await cannon(10, 500); // warm-up (JIT, key decryption, client cache)
const serviceC1 = await cannon(1, 1000);
const serviceC50 = await cannon(50, 3000);

// The same issuance without HTTP: authenticate the client, sign, write the audit row (what the service itself spends).
const issueDirect = async (): Promise<void> => {
  const r = await controller.service.serviceToken(svc.client_id, svc.client_secret, undefined, '127.0.0.1');
  if (!r.ok) throw new Error(r.reason);
};
await latencies(200, 10, issueDirect);
const directC1 = await latencies(1000, 1, issueDirect);
const directC50 = await latencies(3000, 50, issueDirect);

// User tokens include the deliberate argon2id cost (config defaults: OWASP parameters).
await post(
  '/api/v1/users',
  JSON.stringify({ username: 'benchuser', password: 'a long bench passphrase', display_name: 'Bench' }),
  json,
);
const loginBody = JSON.stringify({ username: 'benchuser', password: 'a long bench passphrase' });
const userC1 = await latencies(40, 1, async () => {
  const res = await post('/v1/auth/user/token', loginBody, json);
  await res.arrayBuffer();
});

// Verification per second on one core (this process's event loop): JWKS fetched once, then cached.
const verifier = createTokenVerifier({
  jwksUrls: [`${http.url}/.well-known/jwks.json`],
  issuer: config.issuer,
  audience: config.audience,
});
const token = (
  (await (
    await post('/api/v1/auth/token', form, { 'content-type': 'application/x-www-form-urlencoded' })
  ).json()) as { access_token: string }
).access_token;
await verifier.verify(token);
for (let i = 0; i < 2000; i++) await verifier.verify(token);
let verified = 0;
const cpu0 = process.cpuUsage();
const v0 = performance.now();
while (performance.now() - v0 < 3000) {
  for (let i = 0; i < 200; i++) await verifier.verify(token);
  verified += 200;
}
const verifyWall = (performance.now() - v0) / 1000;
const cpu = process.cpuUsage(cpu0);
const verifyCpuSec = (cpu.user + cpu.system) / 1e6;

await controller.close();
await database.close();

// Reference ceiling: bare node:crypto Ed25519 verifications per CPU second in this same run (machine load varies).
const { generateKeyPairSync, sign: edSign, verify: edVerify } = await import('node:crypto');
const pair = generateKeyPairSync('ed25519');
const message = Buffer.from(token.split('.').slice(0, 2).join('.'));
const signature = edSign(null, message, pair.privateKey);
let raw = 0;
const rawCpu0 = process.cpuUsage();
const r0 = performance.now();
while (performance.now() - r0 < 2000) {
  for (let i = 0; i < 200; i++) edVerify(null, message, pair.publicKey, signature);
  raw += 200;
}
const rawCpu = process.cpuUsage(rawCpu0);
const rawPerCore = Math.round(raw / ((rawCpu.user + rawCpu.system) / 1e6));

// argon2id cost per hash at the configured (OWASP) parameters, measured alone.
const hasher = new PasswordHasher(OWASP_ARGON2ID);
const hashTimes: number[] = [];
const verifyTimes: number[] = [];
for (let i = 0; i < 20; i++) {
  const t0 = performance.now();
  const stored = await hasher.hash(`bench password ${i}`);
  hashTimes.push(performance.now() - t0);
  const t1 = performance.now();
  await hasher.verify(stored, `bench password ${i}`);
  verifyTimes.push(performance.now() - t1);
}
hashTimes.sort((a, b) => a - b);
verifyTimes.sort((a, b) => a - b);

const result = {
  benchmark: 'auth',
  timestamp: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  database: databaseUrl === undefined ? 'pglite' : 'postgres',
  transport:
    'HTTP/1.1 over loopback, autocannon in a separate process (client-side latency, ms resolution); in_process = AuthService.serviceToken without HTTP',
  service_token_issuance_http: { c1: serviceC1, c50: serviceC50 },
  service_token_issuance_in_process: { c1: directC1, c50: directC50 },
  user_token_issuance_including_argon2id: { c1: userC1 },
  verification: {
    tokens: verified,
    wall_seconds: round(verifyWall),
    cpu_seconds: round(verifyCpuSec),
    per_second_wall: Math.round(verified / verifyWall),
    per_second_per_core: Math.round(verified / verifyCpuSec),
    raw_ed25519_verify_per_second_per_core: rawPerCore,
    load_average_1m: round(loadavg()[0] ?? 0),
  },
  argon2id: {
    params: OWASP_ARGON2ID,
    hash_ms_p50: round(percentile(hashTimes, 50)),
    hash_ms_max: round(hashTimes.at(-1) ?? Number.NaN),
    verify_ms_p50: round(percentile(verifyTimes, 50)),
  },
  targets: {
    service_issuance_p99_ms_under: 50,
    verifications_per_second_per_core_at_least: 20_000,
    service_issuance_http_p99_c1_met: serviceC1.p99_ms < 50,
    service_issuance_http_p99_c50_met: serviceC50.p99_ms < 50,
    service_issuance_in_process_p99_c1_met: directC1.p99_ms < 50,
    service_issuance_in_process_p99_c50_met: directC50.p99_ms < 50,
    verification_met: verified / verifyCpuSec >= 20_000,
  },
};
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
