import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseTraceparent } from './trace-context.ts';

test('parses the W3C example and refuses malformed headers', () => {
  assert.deepEqual(parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), {
    trace_id: '0af7651916cd43dd8448eb211c80319c',
    span_id: 'b7ad6b7169203331',
  });
  for (const bad of [
    undefined,
    42,
    ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
    '',
    'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    '00-00000000000000000000000000000000-b7ad6b7169203331-01',
    '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
    '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01',
    '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra',
    '00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01',
  ]) {
    assert.equal(parseTraceparent(bad), undefined, String(bad));
  }
  // Future versions may append fields.
  assert.ok(parseTraceparent('01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future') !== undefined);
});

test('round-trips any valid ids and never throws on any string', () => {
  const hex = (n: number) =>
    fc.string({
      unit: fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'),
      minLength: n,
      maxLength: n,
    });
  fc.assert(
    fc.property(hex(32), hex(16), hex(2), (traceId, spanId, flags) => {
      fc.pre(/[1-9a-f]/.test(traceId) && /[1-9a-f]/.test(spanId));
      assert.deepEqual(parseTraceparent(`00-${traceId}-${spanId}-${flags}`), {
        trace_id: traceId,
        span_id: spanId,
      });
    }),
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => {
      const ids = parseTraceparent(text);
      assert.ok(ids === undefined || (ids.trace_id.length === 32 && ids.span_id.length === 16));
    }),
  );
});
