import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError, DataErrorCode } from '@darktower/data';
import { toErrorReply } from '@darktower/service-kit';
import { toHttpError } from './to-http-error.ts';

test('an unreachable database answers 503 with Retry-After, not 500', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  const cases: unknown[] = [
    refused,
    new Error('wrapped', { cause: refused }),
    Object.assign(new Error('the database system is shutting down'), { code: '57P03' }),
    new Error('timeout exceeded when trying to connect'),
    new DataError(DataErrorCode.connectionFailed, 'pool cannot connect'),
  ];
  for (const error of cases) {
    const reply = toErrorReply(toHttpError(error));
    assert.equal(reply.status, 503, String(error));
    assert.equal(reply.headers['retry-after'], '5');
    assert.equal((reply.body as { error: { code: string } }).error.code, 'SERVICE_UNAVAILABLE');
  }
});

test('other failures stay internal errors without details', () => {
  const reply = toErrorReply(toHttpError(Object.assign(new Error('duplicate key'), { code: '23505' })));
  assert.equal(reply.status, 500);
  assert.equal((reply.body as { error: { message: string } }).error.message, 'Internal server error');
});
