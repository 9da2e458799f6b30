import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isProtocolError } from '../errors/protocol-error.ts';
import { fourCCForCodec, KnownFourCC, parseFourCC, readFourCC, writeFourCC } from './fourcc.ts';

test('printable 4-character codes round-trip through bytes', () => {
  fc.assert(
    fc.property(
      fc.string({
        unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
        minLength: 4,
        maxLength: 4,
      }),
      (s) => {
        const code = parseFourCC(s);
        const b = new Uint8Array(4);
        writeFourCC(code, b);
        assert.equal(readFourCC(b), s);
      },
    ),
  );
});

test('refuses wrong lengths and non-printable bytes', () => {
  for (const s of ['', 'VP9', 'VP090', 'VP\u00000', 'VP\u00e90']) {
    assert.throws(
      () => parseFourCC(s),
      (e) => isProtocolError(e, 'INVALID_FOURCC'),
    );
  }
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
      const printable = [...b].every((c) => c >= 0x20 && c <= 0x7e);
      try {
        readFourCC(b);
        assert.ok(printable);
      } catch (e) {
        assert.ok(!printable && isProtocolError(e, 'INVALID_FOURCC'));
      }
    }),
  );
});

test('maps codec names and WebCodecs strings to FourCCs', () => {
  assert.equal(fourCCForCodec('VP9'), KnownFourCC.VP9);
  assert.equal(fourCCForCodec('vp09.00.10.08'), KnownFourCC.VP9);
  assert.equal(fourCCForCodec('vp8'), KnownFourCC.VP8);
  assert.equal(fourCCForCodec('AV1'), KnownFourCC.AV1);
  assert.equal(fourCCForCodec('av01.0.04M.08'), KnownFourCC.AV1);
  assert.equal(fourCCForCodec('avc1.42E01F'), KnownFourCC.H264);
  assert.equal(fourCCForCodec('H264'), KnownFourCC.H264);
  assert.equal(fourCCForCodec('Opus'), KnownFourCC.Opus);
  assert.equal(fourCCForCodec('AAC'), undefined);
});
