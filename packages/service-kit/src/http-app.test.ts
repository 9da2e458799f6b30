import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { createHttpApp } from './http-app.ts';
import { HttpError } from './http-error.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';

function build(options: { bodyLimit?: number } = {}) {
  const lines: string[] = [];
  const logger = createLogger({
    component: 'gc-service',
    level: 'info',
    destination: {
      write(line: string) {
        lines.push(line);
      },
    },
  });
  const metrics = createMetrics();
  const app = createHttpApp({ logger, metrics, ...options });
  app.post(
    '/v1/meetings',
    {
      schema: {
        body: {
          type: 'object',
          required: ['title', 'max'],
          additionalProperties: false,
          properties: { title: { type: 'string', maxLength: 50 }, max: { type: 'integer', minimum: 1 } },
        },
      },
    },
    (request) => ({ created: request.body }),
  );
  app.get('/v1/meetings/:id', (request) => {
    const { id } = request.params as { id: string };
    if (id === 'missing') throw HttpError.notFound(`Meeting ${id} does not exist`);
    if (id === 'busy') throw HttpError.rateLimited('Slow down', 2.5);
    if (id === 'taken') throw HttpError.conflict('Already exists', { field: 'id' });
    if (id === 'custom') throw new HttpError('MEETING_NOT_FOUND', 'No such meeting', { status: 404 });
    if (id === 'boom') throw new Error('db password=hunter2 at /srv/app.ts:42');
    if (id === 'internal') throw HttpError.internal('pool exhausted: 10/10 connections', new Error('inner'));
    return { id };
  });
  return { app, lines, metrics };
}

interface ErrorJson {
  error: { code: string; message: string; details: Record<string, unknown> };
}

test('valid requests pass and get a request id header', async () => {
  const { app } = build();
  const res = await app.inject({
    method: 'POST',
    url: '/v1/meetings',
    payload: { title: 'standup', max: 5 },
  });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { created: { title: 'standup', max: 5 } });
  assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  const kept = await app.inject({
    method: 'GET',
    url: '/v1/meetings/m1',
    headers: { 'x-request-id': 'abc-123' },
  });
  assert.equal(kept.headers['x-request-id'], 'abc-123');
  const replaced = await app.inject({
    method: 'GET',
    url: '/v1/meetings/m1',
    headers: { 'x-request-id': 'bad id\u00ff' },
  });
  assert.notEqual(replaced.headers['x-request-id'], 'bad id\u00ff');
});

test('types are not coerced and extra properties are refused', async () => {
  const { app } = build();
  for (const payload of [
    { title: 3, max: 5 },
    { title: 'a', max: '5' },
    { title: 'a', max: 5, admin: true },
    { title: 'a' },
  ]) {
    const res = await app.inject({ method: 'POST', url: '/v1/meetings', payload });
    assert.equal(res.statusCode, 400, JSON.stringify(payload));
    const body = res.json<ErrorJson>();
    assert.equal(body.error.code, 'INVALID_REQUEST');
    assert.equal(body.error.details.context, 'body');
    assert.ok(Array.isArray(body.error.details.issues));
  }
});

test('bad JSON, empty JSON and proto poisoning answer 400 INVALID_REQUEST', async () => {
  const { app } = build();
  const cases = ['{"title": ', '', '{"title":"a","max":1,"__proto__":{"admin":true}}'];
  for (const payload of cases) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/meetings',
      headers: { 'content-type': 'application/json' },
      payload,
    });
    assert.equal(res.statusCode, 400, payload);
    assert.equal(res.json<ErrorJson>().error.code, 'INVALID_REQUEST');
  }
});

test('body over the limit answers 413 and unsupported content type 415', async () => {
  const { app } = build({ bodyLimit: 1024 });
  const big = await app.inject({
    method: 'POST',
    url: '/v1/meetings',
    payload: { title: 'x'.repeat(2000), max: 1 },
  });
  assert.equal(big.statusCode, 413);
  assert.deepEqual(big.json(), {
    error: { code: 'INVALID_REQUEST', message: 'Request body is too large', details: {} },
  });
  const xml = await app.inject({
    method: 'POST',
    url: '/v1/meetings',
    headers: { 'content-type': 'application/xml' },
    payload: '<a/>',
  });
  assert.equal(xml.statusCode, 415);
  assert.equal(xml.json<ErrorJson>().error.code, 'INVALID_REQUEST');
});

test('the default body limit is 64 KiB', async () => {
  const { app } = build();
  const res = await app.inject({
    method: 'POST',
    url: '/v1/meetings',
    payload: { title: 'x'.repeat(70_000), max: 1 },
  });
  assert.equal(res.statusCode, 413);
});

test('HttpError factories map to the wire codes and statuses', async () => {
  const { app } = build();
  const missing = await app.inject({ method: 'GET', url: '/v1/meetings/missing' });
  assert.equal(missing.statusCode, 404);
  assert.deepEqual(missing.json(), {
    error: { code: 'NOT_FOUND', message: 'Meeting missing does not exist', details: {} },
  });
  const busy = await app.inject({ method: 'GET', url: '/v1/meetings/busy' });
  assert.equal(busy.statusCode, 429);
  assert.equal(busy.headers['retry-after'], '3');
  assert.equal(busy.json<ErrorJson>().error.code, 'RATE_LIMITED');
  const taken = await app.inject({ method: 'GET', url: '/v1/meetings/taken' });
  assert.equal(taken.statusCode, 409);
  assert.deepEqual(taken.json<ErrorJson>().error.details, { field: 'id' });
  const custom = await app.inject({ method: 'GET', url: '/v1/meetings/custom' });
  assert.equal(custom.statusCode, 404);
  assert.equal(custom.json<ErrorJson>().error.code, 'MEETING_NOT_FOUND');
});

test('5xx never leak messages or stacks, and are logged with the stack', async () => {
  const { app, lines } = build();
  for (const id of ['boom', 'internal']) {
    const res = await app.inject({ method: 'GET', url: `/v1/meetings/${id}` });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), {
      error: { code: 'INTERNAL_ERROR', message: 'Internal server error', details: {} },
    });
    assert.doesNotMatch(res.body, /hunter2|pool|stack|\.ts/);
  }
  const errors = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.level === 'error');
  assert.equal(errors.length, 2);
  assert.match(JSON.stringify(errors[0]?.err), /db password=hunter2/);
  assert.ok(typeof errors[0]?.request_id === 'string');
});

test('unknown routes answer 404 NOT_FOUND in the error shape', async () => {
  const { app } = build();
  const res = await app.inject({ method: 'GET', url: '/nope/../../etc/passwd' });
  assert.equal(res.statusCode, 404);
  assert.deepEqual(res.json(), { error: { code: 'NOT_FOUND', message: 'Route not found', details: {} } });
  const bad = await app.inject({ method: 'GET', url: '/v1/meetings/%E0%A4%A' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json<ErrorJson>().error.code, 'INVALID_REQUEST');
});

test('request metrics use the route template, never the raw URL', async () => {
  const { app, metrics } = build();
  await app.inject({ method: 'GET', url: '/v1/meetings/a' });
  await app.inject({ method: 'GET', url: '/v1/meetings/b' });
  await app.inject({ method: 'GET', url: '/v1/meetings/missing' });
  await app.inject({ method: 'GET', url: '/random/path/1' });
  await app.inject({ method: 'GET', url: '/random/path/2' });
  const text = await metrics.render();
  assert.match(
    text,
    /^http_requests_total\{method="GET",route="\/v1\/meetings\/:id",status_code="200"\} 2$/m,
  );
  assert.match(
    text,
    /^http_requests_total\{method="GET",route="\/v1\/meetings\/:id",status_code="404"\} 1$/m,
  );
  assert.match(text, /^http_requests_total\{method="GET",route="__unmatched__",status_code="404"\} 2$/m);
  assert.doesNotMatch(text, /random|meetings\/a"/);
});

test('request logs carry request_id and no authorization header', async () => {
  const { app, lines } = build();
  await app.inject({
    method: 'GET',
    url: '/v1/meetings/m1',
    headers: { authorization: 'Bearer SECRET-TOKEN' },
  });
  assert.ok(lines.length >= 2);
  assert.doesNotMatch(lines.join(''), /SECRET-TOKEN/);
  const record = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
  assert.equal(typeof record.request_id, 'string');
  assert.equal(record.component, 'gc-service');
});

test('requests arriving while the app closes get 503 in the error shape', async () => {
  const { app } = build();
  const entered = Promise.withResolvers<undefined>();
  const gate = Promise.withResolvers<undefined>();
  app.get('/slow', async () => {
    entered.resolve(undefined);
    await gate.promise;
    return { slow: true };
  });
  const preClose = Promise.withResolvers<undefined>();
  app.addHook('preClose', (done) => {
    preClose.resolve(undefined);
    done();
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  const ended = once(socket, 'close');
  socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
  await entered.promise;
  const closed = app.close();
  await preClose.promise;
  // Pipelined on the same connection: parsed only after /slow answers, i.e. while closing.
  socket.write('GET /v1/meetings/m1 HTTP/1.1\r\nHost: x\r\n\r\n');
  gate.resolve(undefined);
  await ended;
  await closed;
  const responses = received.split(/(?=HTTP\/1\.1 )/);
  assert.equal(responses.length, 2, received);
  assert.match(responses[0] ?? '', /^HTTP\/1\.1 200 /);
  assert.match(responses[1] ?? '', /^HTTP\/1\.1 503 /);
  assert.match(
    responses[1] ?? '',
    /\{"error":\{"code":"INTERNAL_ERROR","message":"Service unavailable","details":\{\}\}\}$/,
  );
});

test('request logs carry trace_id and span_id from a valid traceparent only', async () => {
  const { app, lines } = build();
  await app.inject({
    method: 'GET',
    url: '/v1/meetings/m1',
    headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  });
  await app.inject({ method: 'GET', url: '/v1/meetings/m2', headers: { traceparent: 'garbage' } });
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const first = records.filter((r) => r.trace_id === '0af7651916cd43dd8448eb211c80319c');
  assert.ok(first.length >= 2, 'incoming and completed request lines');
  assert.ok(first.every((r) => r.span_id === 'b7ad6b7169203331'));
  assert.equal(records.filter((r) => r.trace_id !== undefined).length, first.length);
});
