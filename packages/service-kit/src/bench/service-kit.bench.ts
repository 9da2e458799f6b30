// Benchmark: logger throughput (with and without secrets to redact) and HTTP app overhead through inject().
// Prints a table and writes bench/results/service-kit.json at the repository root.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createHttpApp } from '../http-app.ts';
import { createLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';

const sink = { write: (_line: string): void => undefined };

function perSecond(count: number, run: () => void): number {
  run(); // warm-up
  const start = performance.now();
  for (let i = 0; i < count; i++) run();
  return Math.round((count / (performance.now() - start)) * 1000);
}

const logger = createLogger({ component: 'bench', destination: sink });
const plain = {
  meeting_id: 'm1',
  participant_id: 'p1',
  stats: { rtt_ms: 12, loss: 0.01, layers: [1, 2, 3] },
};
const withSecrets = {
  ...plain,
  req: { headers: { authorization: 'Bearer x', accept: '*/*' } },
  body: { password: 'p' },
};

const results: Record<string, number> = {
  logger_plain_lines_per_s: perSecond(100_000, () => {
    logger.info(plain, 'stats');
  }),
  logger_redacting_lines_per_s: perSecond(100_000, () => {
    logger.info(withSecrets, 'login');
  }),
  logger_message_only_lines_per_s: perSecond(100_000, () => {
    logger.info('tick');
  }),
};

const app = createHttpApp({
  logger: createLogger({ component: 'bench', level: 'warn', destination: sink }),
  metrics: createMetrics(),
});
app.post(
  '/v1/things/:id',
  {
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        properties: { name: { type: 'string' } },
        required: ['name'],
      },
    },
  },
  () => ({ ok: true }),
);
await app.ready();
const requests = 5000;
const start = performance.now();
for (let i = 0; i < requests; i++) {
  await app.inject({ method: 'POST', url: `/v1/things/${i}`, payload: { name: 'x' } });
}
results.http_app_inject_requests_per_s = Math.round((requests / (performance.now() - start)) * 1000);
await app.close();

console.table(results);
const outDir = join(import.meta.dirname, '..', '..', '..', '..', 'bench', 'results');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'service-kit.json'),
  `${JSON.stringify({ name: 'service-kit', node: process.version, date: new Date().toISOString(), results }, null, 2)}\n`,
);
