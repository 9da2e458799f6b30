import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isH3Error } from './h3-error.ts';
import { decodeFieldSection, type HeaderField } from './qpack-decoder.ts';
import { encodeFieldSection } from './qpack-encoder.ts';
import { QPACK_STATIC_TABLE } from './qpack-static-table.ts';

const limits = { maxFieldSectionSize: 16 * 1024, maxFields: 64 };

test('the static table has the 99 entries of RFC 9204 appendix A', () => {
  assert.equal(QPACK_STATIC_TABLE.length, 99);
  assert.deepEqual(QPACK_STATIC_TABLE[15], [':method', 'CONNECT']);
  assert.deepEqual(QPACK_STATIC_TABLE[25], [':status', '200']);
  assert.deepEqual(QPACK_STATIC_TABLE[98], ['x-frame-options', 'sameorigin']);
});

test('a :status 200 response is the static index 25 after a zero prefix (what Chromium expects)', () => {
  assert.deepEqual([...encodeFieldSection([[':status', '200']])], [0x00, 0x00, 0xd9]);
});

test('a CONNECT as Chromium encodes it decodes (literal :protocol, Huffman strings)', () => {
  const fields: HeaderField[] = [
    [':method', 'CONNECT'],
    [':scheme', 'https'],
    [':authority', '127.0.0.1:4433'],
    [':path', '/echo?x=1'],
    [':protocol', 'webtransport'],
    ['sec-webtransport-http3-draft02', '1'],
    ['origin', 'http://localhost:8080'],
  ];
  assert.deepEqual(decodeFieldSection(encodeFieldSection(fields), limits), fields);
});

const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
const headerValue = fc.string({ maxLength: 60 });

test('encode then decode is the identity for random header lists', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(headerName, headerValue), { maxLength: 20 }), (fields) => {
      assert.deepEqual(decodeFieldSection(encodeFieldSection(fields), limits), fields);
    }),
  );
});

test('random and mutated blocks decode or fail with a typed H3 error, never anything else', () => {
  const check = (block: Uint8Array): void => {
    try {
      const fields = decodeFieldSection(block, limits);
      assert.ok(fields.length <= limits.maxFields);
    } catch (e) {
      assert.ok(isH3Error(e), String(e));
      assert.ok(['QPACK_DECOMPRESSION_FAILED', 'EXCESSIVE_LOAD'].includes(e.codeName));
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { numRuns: 3000 });
  fc.assert(
    fc.property(
      fc.array(fc.tuple(headerName, headerValue), { minLength: 1, maxLength: 8 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
      (fields, flips) => {
        const block = encodeFieldSection(fields);
        for (const [at, flip] of flips) block[at % block.length] = (block[at % block.length] ?? 0) ^ flip;
        check(block);
      },
    ),
    { numRuns: 3000 },
  );
});

test('dynamic table references and oversize sections are refused', () => {
  assert.throws(() => decodeFieldSection(Uint8Array.from([0x01, 0x00]), limits), isH3Error); // insert count 1
  assert.throws(() => decodeFieldSection(Uint8Array.from([0x00, 0x00, 0x80]), limits), isH3Error); // dynamic idx
  assert.throws(() => decodeFieldSection(Uint8Array.from([0x00, 0x00, 0xff, 0x64]), limits), isH3Error); // idx 163
  const big = encodeFieldSection([['x-big', 'v'.repeat(2000)]]);
  assert.throws(
    () => decodeFieldSection(big, { maxFieldSectionSize: 1000, maxFields: 64 }),
    (e: unknown) => isH3Error(e) && e.codeName === 'EXCESSIVE_LOAD',
  );
});
