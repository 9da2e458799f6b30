import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_VARINT, encodeVarint, readVarint, varintLength } from './varint.ts';

test('varint round-trips every value up to 2^53 and uses the shortest form', () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), (value) => {
      const bytes = encodeVarint(value);
      assert.equal(bytes.length, varintLength(value));
      assert.deepEqual(readVarint(bytes, 0), { value, next: bytes.length });
    }),
  );
});

test('RFC 9000 appendix A.1 examples decode', () => {
  const cases: [number[], number][] = [
    [[0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c], Number(151288809941952652n)],
    [[0x9d, 0x7f, 0x3e, 0x7d], 494878333],
    [[0x7b, 0xbd], 15293],
    [[0x25], 37],
    [[0x40, 0x25], 37],
  ];
  for (const [bytes, value] of cases) assert.equal(readVarint(Uint8Array.from(bytes), 0)?.value, value);
});

test('truncated input asks for more bytes; random bytes never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 12 }), fc.nat(12), (bytes, offset) => {
      const r = readVarint(bytes, offset);
      if (r !== undefined) {
        assert.ok(r.next <= bytes.length);
        assert.ok(r.value >= 0 && r.value <= MAX_VARINT + 1);
      }
    }),
  );
  assert.equal(readVarint(Uint8Array.from([0x40]), 0), undefined);
  assert.throws(() => encodeVarint(-1), RangeError);
  assert.throws(() => encodeVarint(2 ** 62), RangeError);
});
