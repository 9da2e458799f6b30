import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isProtocolError } from '../errors/protocol-error.ts';
import {
  parseStreamId,
  randomStreamId,
  readStreamId,
  streamIdFromBytes,
  streamIdToBytes,
  tryParseStreamId,
  writeStreamId,
} from './stream-id.ts';

test('any 16 bytes round-trip through the canonical string', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      const id = streamIdFromBytes(bytes);
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.deepEqual(streamIdToBytes(id), bytes);
      assert.equal(parseStreamId(id), id);
    }),
  );
});

test('parsing accepts upper case and canonicalises to lower case', () => {
  fc.assert(
    fc.property(fc.uuid(), (uuid) => {
      const id = parseStreamId(uuid.toUpperCase());
      assert.equal(id, uuid.toLowerCase());
      assert.equal(readStreamId(streamIdToBytes(id)), id);
    }),
  );
});

test('parsing refuses anything that is not a hyphenated UUID', () => {
  const bad = [
    '',
    'abc',
    '550e8400e29b41d4a716446655440000',
    '550e8400-e29b-41d4-a716-44665544000g',
    ' 550e8400-e29b-41d4-a716-446655440000',
  ];
  for (const s of bad) {
    assert.throws(
      () => parseStreamId(s),
      (e) => isProtocolError(e, 'INVALID_STREAM_ID'),
    );
    assert.equal(tryParseStreamId(s), undefined);
  }
  fc.assert(
    fc.property(fc.string(), (s) => {
      const id = tryParseStreamId(s);
      if (id !== undefined) assert.equal(id, s.toLowerCase());
    }),
  );
});

test('reads and writes at offsets, refusing short buffers', () => {
  const id = randomStreamId();
  const buf = new Uint8Array(20);
  writeStreamId(id, buf, 4);
  assert.equal(readStreamId(buf, 4), id);
  assert.throws(
    () => readStreamId(buf, 5),
    (e) => isProtocolError(e, 'TRUNCATED'),
  );
  assert.throws(
    () => {
      writeStreamId(id, buf, 5);
    },
    (e) => isProtocolError(e, 'INVALID_ARGUMENT'),
  );
  assert.throws(
    () => streamIdFromBytes(new Uint8Array(15)),
    (e) => isProtocolError(e, 'LENGTH_MISMATCH'),
  );
});

test('random ids are version 4 UUIDs and distinct', () => {
  const a = randomStreamId();
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(a, randomStreamId());
});
