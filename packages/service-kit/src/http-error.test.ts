import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpError, isHttpError, HTTP_ERROR_CODES } from './http-error.ts';
import { toErrorReply } from './error-reply.ts';

test('factories carry the wire code and status', () => {
  const cases: [HttpError, string, number][] = [
    [HttpError.invalidRequest('bad', { field: 'x' }), 'INVALID_REQUEST', 400],
    [HttpError.unauthorized(), 'UNAUTHORIZED', 401],
    [HttpError.forbidden(), 'FORBIDDEN', 403],
    [HttpError.notFound('Meeting m1 does not exist'), 'NOT_FOUND', 404],
    [HttpError.conflict(), 'CONFLICT', 409],
    [HttpError.rateLimited(undefined, 1.2), 'RATE_LIMITED', 429],
    [HttpError.internal('db down', new Error('cause')), 'INTERNAL_ERROR', 500],
  ];
  for (const [error, code, status] of cases) {
    assert.equal(error.code, code);
    assert.equal(error.status, status);
    assert.ok(isHttpError(error, code));
    assert.ok(HTTP_ERROR_CODES.includes(code as (typeof HTTP_ERROR_CODES)[number]));
  }
  assert.deepEqual(HttpError.invalidRequest('bad', { field: 'x' }).toBody(), {
    error: { code: 'INVALID_REQUEST', message: 'bad', details: { field: 'x' } },
  });
  assert.equal(HttpError.rateLimited(undefined, 1.2).headers['retry-after'], '2');
  assert.ok(HttpError.internal('x', new Error('root')).cause instanceof Error);
});

test('the guard checks the code, not instanceof', () => {
  const foreign = { name: 'HttpError', code: 'NOT_FOUND', status: 404, message: 'x' };
  assert.ok(isHttpError(foreign));
  assert.ok(isHttpError(foreign, 'NOT_FOUND'));
  assert.ok(!isHttpError(foreign, 'CONFLICT'));
  assert.ok(!isHttpError(new Error('plain')));
  assert.ok(!isHttpError({ code: 'NOT_FOUND' }));
  assert.ok(!isHttpError(null));
  assert.ok(!isHttpError('NOT_FOUND'));
});

test('5xx bodies never carry the message or details', () => {
  const error = new HttpError('INTERNAL_ERROR', 'secret internals', { details: { sql: 'select *' } });
  assert.deepEqual(error.toBody(), {
    error: { code: 'INTERNAL_ERROR', message: 'Internal server error', details: {} },
  });
});

test('toErrorReply maps unknown throws to 500 and framework 4xx by status without their text', () => {
  for (const thrown of [new Error('x'), 'a string', null, undefined, 42, { statusCode: 'nope' }]) {
    const reply = toErrorReply(thrown);
    assert.equal(reply.status, 500);
    assert.equal(reply.body.error.code, 'INTERNAL_ERROR');
    assert.ok(reply.internal);
  }
  const limited = toErrorReply(
    Object.assign(new Error('rate limit exceeded, retry in 1 minute'), { statusCode: 429 }),
  );
  assert.equal(limited.status, 429);
  assert.equal(limited.body.error.code, 'RATE_LIMITED');
  const teapot = toErrorReply(Object.assign(new Error('<script>'), { statusCode: 418 }));
  assert.deepEqual(teapot.body, {
    error: { code: 'INVALID_REQUEST', message: 'Invalid request', details: {} },
  });
  const unavailable = toErrorReply(Object.assign(new Error('closing'), { statusCode: 503 }));
  assert.equal(unavailable.status, 503);
  assert.equal(unavailable.body.error.message, 'Service unavailable');
});
