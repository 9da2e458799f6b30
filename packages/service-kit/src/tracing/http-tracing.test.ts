import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpApp } from '../http-app.ts';
import { createLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import type { SpanRecord } from './json-lines-exporter.ts';
import { createTracing } from './tracing.ts';

function setup() {
  const spanLines: string[] = [];
  const logLines: string[] = [];
  const tracing = createTracing({
    serviceName: 'gc-service',
    exporter: 'console',
    consoleSink: { write: (l: string) => void spanLines.push(l) },
    env: {},
  });
  const logger = createLogger({
    component: 'gc-service',
    destination: { write: (l: string) => void logLines.push(l) },
    traceIds: () => tracing.activeIds(),
  });
  const app = createHttpApp({ logger, metrics: createMetrics(), tracing });
  app.get('/v1/meetings/:id', async (request) => {
    await tracing.startActiveSpan('load_meeting', () => new Promise((r) => setTimeout(r, 1)));
    request.log.info('meeting read');
    return { id: (request.params as { id: string }).id };
  });
  app.post('/v1/meetings', async (request) => {
    // After body parsing: the handler still runs inside the request's span.
    await tracing.startActiveSpan('create_meeting', () => Promise.resolve());
    logger.info('created');
    return { ok: request.body !== undefined };
  });
  app.get('/v1/fail', () => Promise.reject(new Error('boom')));
  const spans = (): SpanRecord[] =>
    spanLines
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as SpanRecord);
  const logs = (): Record<string, unknown>[] => logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { tracing, app, spans, logs };
}

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

test('each request is a server span under the caller traceparent; handler spans and logs are inside it', async () => {
  const { tracing, app, spans, logs } = setup();
  const res = await app.inject({
    method: 'GET',
    url: '/v1/meetings/m-1?token=secret',
    headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
  });
  assert.equal(res.statusCode, 200);
  const server = spans().find((s) => s.kind === 'server');
  assert.ok(server);
  assert.equal(server.name, 'GET /v1/meetings/:id');
  assert.equal(server.trace_id, CALLER_TRACE);
  assert.equal(server.parent_span_id, CALLER_SPAN);
  assert.equal(server.attributes['http.route'], '/v1/meetings/:id');
  assert.equal(server.attributes['http.response.status_code'], 200);
  assert.ok(!JSON.stringify(server).includes('secret'), 'no query string (tokens) in span attributes');
  const child = spans().find((s) => s.name === 'load_meeting');
  assert.equal(child?.parent_span_id, server.span_id);
  const line = logs().find((l) => l.message === 'meeting read');
  assert.equal(line?.trace_id, CALLER_TRACE);
  assert.equal(line.span_id, server.span_id);
  await app.close();
  await tracing.close();
});

test('POST handlers (after body parsing) still run in the span; 5xx marks it as an error; no header = new trace', async () => {
  const { tracing, app, spans, logs } = setup();
  const post = await app.inject({ method: 'POST', url: '/v1/meetings', payload: { title: 'standup' } });
  assert.equal(post.statusCode, 200);
  const server = spans().find((s) => s.name === 'POST /v1/meetings');
  assert.ok(server);
  assert.equal(server.parent_span_id, undefined);
  assert.notEqual(server.trace_id, CALLER_TRACE);
  assert.equal(spans().find((s) => s.name === 'create_meeting')?.parent_span_id, server.span_id);
  assert.equal(logs().find((l) => l.message === 'created')?.span_id, server.span_id);

  const fail = await app.inject({
    method: 'GET',
    url: '/v1/fail',
    headers: { traceparent: 'not-a-traceparent' },
  });
  assert.equal(fail.statusCode, 500);
  const failed = spans().find((s) => s.name === 'GET /v1/fail');
  assert.equal(failed?.status, 'error');
  assert.equal(failed.parent_span_id, undefined);
  await app.close();
  await tracing.close();
});
