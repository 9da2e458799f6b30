import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeListCursor, encodeListCursor } from './list-cursor.ts';

describe('list cursor', () => {
  test('round-trips', () => {
    const c = {
      createdAt: new Date('2026-01-02T03:04:05.678Z'),
      meetingId: '550e8400-e29b-41d4-a716-446655440000',
    };
    assert.deepEqual(decodeListCursor(encodeListCursor(c)), c);
  });

  test('refuses anything it did not make with INVALID_REQUEST (property)', () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const bad of [
      '',
      '!!',
      'a'.repeat(500),
      b64({}),
      b64(['x', 'y']),
      b64(['2026-13-45T00:00:00.000Z', '550e8400-e29b-41d4-a716-446655440000']),
      b64(['2026-01-01T00:00:00.000Z', "1' or 1=1"]),
    ]) {
      assert.throws(() => decodeListCursor(bad), { code: 'INVALID_REQUEST' }, bad);
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        try {
          const c = decodeListCursor(s);
          assert.ok(!Number.isNaN(c.createdAt.getTime()));
        } catch (error) {
          assert.equal((error as { code?: string }).code, 'INVALID_REQUEST');
        }
      }),
    );
  });
});
