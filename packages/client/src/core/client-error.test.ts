// ClientError.fromWire: the codes of api-contracts.md map to the SDK's codes (a meeting that does not exist is
// NOT_FOUND, so the app can say so), the wire code is kept, and an unknown code is INTERNAL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError, isClientError } from './client-error.ts';

test('wire codes map to client codes; the wire code is kept', () => {
  const notFound = ClientError.fromWire('MEETING_NOT_FOUND', 'Meeting x does not exist');
  assert.ok(isClientError(notFound, 'NOT_FOUND'));
  assert.equal(notFound.details.wireCode, 'MEETING_NOT_FOUND');
  assert.equal(notFound.message, 'Meeting x does not exist');
  assert.equal(ClientError.fromWire('CAPACITY_EXCEEDED', '').code, 'CAPACITY_EXCEEDED');
  assert.equal(ClientError.fromWire('INTERNAL_ERROR', 'oops').code, 'INTERNAL');
  assert.equal(ClientError.fromWire('SOMETHING_NEW', 'hm').code, 'INTERNAL');
  assert.equal(ClientError.fromWire('SOMETHING_NEW', '').message, 'SOMETHING_NEW');
});
