import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { createOpsServer, type OpsServerOptions } from './ops-server.ts';
import type { ReadinessCheck } from './readiness.ts';

function quietLogger() {
  return createLogger({ component: 'test', level: 'silent' });
}

async function start(checks: Record<string, ReadinessCheck> = {}, extra: Partial<OpsServerOptions> = {}) {
  const metrics = createMetrics({ prefix: 'dt_test_' });
  metrics.counter({ name: 'things_total', help: 'things' }).inc(3);
  const ops = createOpsServer({
    host: '127.0.0.1',
    port: 0,
    logger: quietLogger(),
    metrics,
    checks,
    ...extra,
  });
  const address = await ops.listen();
  return { ops, url: address.url, address };
}

async function getJson(url: string, init?: RequestInit) {
  const res = await fetch(url, init);
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (await res.json()) as Record<string, unknown>,
    res,
  };
}

test('listen() returns the bound loopback address', async () => {
  const { ops, address } = await start();
  try {
    assert.equal(address.host, '127.0.0.1');
    assert.ok(address.port > 0);
    assert.equal(address.url, `http://127.0.0.1:${address.port}`);
  } finally {
    await ops.close();
  }
});

test('/health answers ok without running checks', async () => {
  let ran = 0;
  const { ops, url } = await start({
    database: () => {
      ran++;
      return Promise.resolve();
    },
  });
  try {
    const r = await getJson(`${url}/health`);
    assert.equal(r.status, 200);
    assert.match(r.type ?? '', /^application\/json/);
    assert.deepEqual(r.body, { status: 'ok' });
    assert.equal(ran, 0);
  } finally {
    await ops.close();
  }
});

test('/ready runs every check and answers 200 when all pass', async () => {
  const { ops, url } = await start({
    database: () => Promise.resolve(),
    signing_key: async (signal) => {
      assert.equal(signal.aborted, false);
      await Promise.resolve();
    },
  });
  try {
    const r = await getJson(`${url}/ready?verbose=1`);
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ready');
    const checks = r.body.checks as Record<string, { status: string; latency_ms: number; error?: string }>;
    assert.deepEqual(Object.keys(checks).sort(), ['database', 'signing_key']);
    for (const c of Object.values(checks)) {
      assert.equal(c.status, 'ok');
      assert.equal(typeof c.latency_ms, 'number');
      assert.equal(c.error, undefined);
    }
  } finally {
    await ops.close();
  }
});

test('/ready answers 503 naming the failing and timed-out checks', async () => {
  let aborted = false;
  const { ops, url } = await start({
    database: () => Promise.reject(new Error('connection refused')),
    jwks: {
      timeoutMs: 50,
      run: (signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(signal.reason as Error);
          });
        }),
    },
    redis: () => Promise.resolve(),
  });
  try {
    const r = await getJson(`${url}/ready`);
    assert.equal(r.status, 503);
    assert.equal(r.body.status, 'not_ready');
    const checks = r.body.checks as Record<string, { status: string; error?: string }>;
    assert.deepEqual(checks.database?.status, 'fail');
    assert.equal(checks.database.error, 'connection refused');
    assert.equal(checks.jwks?.status, 'fail');
    assert.equal(checks.jwks.error, 'timed out after 50 ms');
    assert.equal(checks.redis?.status, 'ok');
    assert.ok(aborted, 'the timed-out check was told to stop');
  } finally {
    await ops.close();
  }
});

test('draining makes /ready 503 and /health 503 without running checks', async () => {
  let ran = 0;
  const { ops, url } = await start({
    database: () => {
      ran++;
      return Promise.resolve();
    },
  });
  try {
    ops.drain();
    const ready = await getJson(`${url}/ready`);
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body, { status: 'draining', checks: {} });
    const health = await getJson(`${url}/health`);
    assert.equal(health.status, 503);
    assert.equal(ran, 0);
  } finally {
    await ops.close();
  }
});

test('/metrics serves the registry in Prometheus text format', async () => {
  const { ops, url } = await start();
  try {
    const res = await fetch(`${url}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(await res.text(), /^dt_test_things_total 3$/m);
  } finally {
    await ops.close();
  }
});

test('unknown paths are 404 JSON, other methods 405 with Allow, HEAD works', async () => {
  const { ops, url } = await start();
  try {
    const missing = await getJson(`${url}/healthz`);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { error: { code: 'NOT_FOUND', message: 'Not found', details: {} } });
    const post = await getJson(`${url}/ready`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.res.headers.get('allow'), 'GET, HEAD');
    assert.equal((post.body.error as { code: string }).code, 'INVALID_REQUEST');
    const head = await fetch(`${url}/health`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  } finally {
    await ops.close();
  }
});

test('close() is idempotent, resolves closed and frees the port', async () => {
  const { ops, url } = await start();
  await Promise.all([ops.close(), ops.close('again')]);
  await ops.closed;
  await assert.rejects(fetch(`${url}/health`));
  await assert.rejects(ops.listen(), /after close/);
});

test('await using closes the server', async () => {
  let url: string;
  {
    await using ops = createOpsServer({ port: 0, logger: quietLogger(), metrics: createMetrics() });
    url = (await ops.listen()).url;
    assert.equal((await fetch(`${url}/health`)).status, 200);
  }
  await assert.rejects(fetch(`${url}/health`));
});

test('listen() rejects when the port is taken', async () => {
  const first = await start();
  const second = createOpsServer({
    port: first.address.port,
    logger: quietLogger(),
    metrics: createMetrics(),
  });
  try {
    await assert.rejects(second.listen(), /EADDRINUSE/);
  } finally {
    await second.close();
    await first.ops.close();
  }
});
