import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { register as globalRegistry } from 'prom-client';
import { createMetrics } from './metrics.ts';
import { createHttpMetrics, UNMATCHED_ROUTE } from './http-metrics.ts';

test('each registry is its own; the global default registry is untouched', async () => {
  const before = (await globalRegistry.getMetricsAsJSON()).length;
  const a = createMetrics({ prefix: 'dt_mc_', defaultLabels: { service: 'mc' } });
  const b = createMetrics({ prefix: 'dt_mc_' });
  a.counter({ name: 'joins_total', help: 'joins' }).inc(2);
  b.counter({ name: 'joins_total', help: 'joins' }).inc(5);
  assert.match(await a.render(), /^dt_mc_joins_total\{service="mc"\} 2$/m);
  assert.match(await b.render(), /^dt_mc_joins_total 5$/m);
  assert.equal((await globalRegistry.getMetricsAsJSON()).length, before);
});

test('typed counters, gauges and histograms with labels', async () => {
  const m = createMetrics({ prefix: 'dt_mh_' });
  const streams = m.gauge({ name: 'active_streams', help: 'streams', labelNames: ['kind'] as const });
  streams.set({ kind: 'video' }, 3);
  streams.inc({ kind: 'audio' });
  const lat = m.histogram({ name: 'op_seconds', help: 'op', buckets: [0.1, 1] });
  lat.observe(0.05);
  lat.observe(0.5);
  const text = await m.render();
  assert.match(text, /^dt_mh_active_streams\{kind="video"\} 3$/m);
  assert.match(text, /^dt_mh_active_streams\{kind="audio"\} 1$/m);
  assert.match(text, /^dt_mh_op_seconds_bucket\{le="0.1"\} 1$/m);
  assert.match(text, /^dt_mh_op_seconds_bucket\{le="1"\} 2$/m);
  assert.match(text, /^dt_mh_op_seconds_count 2$/m);
  assert.match(m.contentType, /^text\/plain; version=0\.0\.4/);
});

test('a gauge with collect is set from the current state at every scrape', async () => {
  const m = createMetrics({ prefix: 'dt_mc_' });
  let healthy = 2;
  m.gauge({
    name: 'media_handlers',
    help: 'handlers',
    labelNames: ['health'] as const,
    collect: (g) => {
      g.set({ health: 'healthy' }, healthy);
    },
  });
  assert.match(await m.render(), /^dt_mc_media_handlers\{health="healthy"\} 2$/m);
  healthy = 3;
  assert.match(await m.render(), /^dt_mc_media_handlers\{health="healthy"\} 3$/m);
});

test('invalid names and label names are refused', () => {
  const m = createMetrics();
  assert.throws(() => m.counter({ name: 'bad-name', help: 'x' }), /invalid metric name/);
  assert.throws(() => m.counter({ name: 'ok', help: 'x', labelNames: ['bad-label'] }), /invalid label name/);
  assert.throws(
    () => m.counter({ name: 'ok2', help: 'x', labelNames: ['__reserved'] }),
    /invalid label name/,
  );
  assert.throws(() => createMetrics({ prefix: '1x' }), /invalid prefix/);
});

test('process metrics are optional per registry', async () => {
  const without = createMetrics({ prefix: 'a_' });
  const withProcess = createMetrics({ prefix: 'b_', processMetrics: true });
  assert.doesNotMatch(await without.render(), /process_cpu/);
  assert.match(await withProcess.render(), /^b_process_cpu_user_seconds_total /m);
});

test('HTTP metrics label by route template and bound unknown methods and routes', async () => {
  const m = createMetrics();
  const http = createHttpMetrics(m);
  http.observe({ method: 'GET', route: '/v1/meetings/:id', statusCode: 200, durationSeconds: 0.01 });
  http.observe({ method: 'GET', route: '/v1/meetings/:id', statusCode: 404, durationSeconds: 0.002 });
  http.observe({ method: 'POST', route: '/v1/meetings', statusCode: 500, durationSeconds: 0.2 });
  http.observe({ method: 'BREW', route: undefined, statusCode: 404, durationSeconds: 0.001 });
  const text = await m.render();
  assert.match(
    text,
    /^http_requests_total\{method="GET",route="\/v1\/meetings\/:id",status_code="200"\} 1$/m,
  );
  assert.match(
    text,
    /^http_request_errors_total\{method="GET",route="\/v1\/meetings\/:id",status_class="4xx"\} 1$/m,
  );
  assert.match(
    text,
    /^http_request_errors_total\{method="POST",route="\/v1\/meetings",status_class="5xx"\} 1$/m,
  );
  assert.match(
    text,
    new RegExp(
      `^http_requests_total\\{method="OTHER",route="${UNMATCHED_ROUTE}",status_code="404"\\} 1$`,
      'm',
    ),
  );
  assert.match(
    text,
    /^http_request_duration_seconds_count\{method="POST",route="\/v1\/meetings",status_code="500"\} 1$/m,
  );
});

test('a registry with process metrics passes `promtool check metrics` (no gauge with a _total suffix)', async (t) => {
  const m = createMetrics({ prefix: 'dt_x_', processMetrics: true, defaultLabels: { region: 'local' } });
  m.counter({ name: 'joins_total', help: 'joins' }).inc();
  const text = await m.render();
  const gaugesNamedTotal = [...text.matchAll(/^# TYPE (\S+_total) gauge$/gm)].map((x) => x[1]);
  assert.deepEqual(gaugesNamedTotal, []);
  assert.match(text, /^dt_x_nodejs_active_handles\{/m);
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (lint.error !== undefined) {
    t.skip('promtool is not installed (Debian package prometheus)');
    return;
  }
  assert.equal(lint.status, 0, lint.stdout + lint.stderr);
});
