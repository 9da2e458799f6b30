import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isH3Error } from './h3-error.ts';
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from './huffman.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

test('RFC 7541 appendix C.4 Huffman examples decode', () => {
  assert.equal(
    Buffer.from(huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff'))).toString(),
    'www.example.com',
  );
  assert.equal(Buffer.from(huffmanDecode(hex('a8eb 1064 9cbf'))).toString(), 'no-cache');
  assert.equal(Buffer.from(huffmanDecode(hex('25a8 49e9 5ba9 7d7f'))).toString(), 'custom-key');
  assert.equal(Buffer.from(huffmanDecode(hex('25a8 49e9 5bb8 e8b4 bf'))).toString(), 'custom-value');
});

test('encode then decode is the identity for any bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const encoded = huffmanEncode(bytes);
      assert.equal(encoded.length, huffmanEncodedLength(bytes));
      assert.deepEqual(huffmanDecode(encoded), bytes);
    }),
  );
});

test('random and mutated input either decodes or fails with QPACK_DECOMPRESSION_FAILED', () => {
  const check = (bytes: Uint8Array): void => {
    try {
      const out = huffmanDecode(bytes);
      assert.ok(out.length <= Math.ceil((bytes.length * 8) / 5));
    } catch (e) {
      assert.ok(isH3Error(e));
      assert.equal(e.codeName, 'QPACK_DECOMPRESSION_FAILED');
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), check), { numRuns: 2000 });
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), fc.nat(), fc.integer({ min: 0, max: 255 }), (s, at, flip) => {
      const encoded = huffmanEncode(Buffer.from(s));
      if (encoded.length > 0) encoded[at % encoded.length] = (encoded[at % encoded.length] ?? 0) ^ flip;
      check(encoded);
    }),
    { numRuns: 2000 },
  );
});

test('padding rules: EOS prefix only, at most 7 bits', () => {
  assert.throws(() => huffmanDecode(Uint8Array.from([0xff, 0xff, 0xff, 0xff])), isH3Error); // EOS symbol
  assert.throws(() => huffmanDecode(Uint8Array.from([0x00])), isH3Error); // '0' then zero padding
  assert.equal(Buffer.from(huffmanDecode(Uint8Array.from([0x07]))).toString(), '0'); // '0' = 00000 + 111
});
