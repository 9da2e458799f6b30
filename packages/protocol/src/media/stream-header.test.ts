import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isProtocolError } from '../errors/protocol-error.ts';
import { StreamType } from '../gen/darktower/v1/enums_pb.ts';
import { KnownFourCC } from '../ids/fourcc.ts';
import { parseStreamId } from '../ids/stream-id.ts';
import { arbitraryStreamHeader, mutate } from '../testing/arbitrary-media.ts';
import {
  decodeStreamHeader,
  encodeStreamHeader,
  STREAM_HEADER_BYTES,
  type StreamHeader,
} from './stream-header.ts';

const sample: StreamHeader = {
  streamType: StreamType.VIDEO_CAMERA,
  streamId: parseStreamId('00112233-4455-6677-8899-aabbccddeeff'),
  codec: KnownFourCC.VP9,
};

describe('stream header', () => {
  test('has the documented 32-byte layout', () => {
    const b = encodeStreamHeader(sample);
    assert.equal(b.length, STREAM_HEADER_BYTES);
    assert.equal(new TextDecoder().decode(b.subarray(0, 4)), 'DART');
    assert.equal(b[4], 0x01);
    assert.equal(b[5], 0x01);
    assert.deepEqual(
      [...b.subarray(6, 22)],
      [0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff],
    );
    assert.equal(new TextDecoder().decode(b.subarray(22, 26)), 'VP09');
    assert.deepEqual([...b.subarray(26)], [0, 0, 0, 0, 0, 0]);
  });

  test('round-trips every valid header', () => {
    fc.assert(
      fc.property(arbitraryStreamHeader, (h) => {
        assert.deepEqual(decodeStreamHeader(encodeStreamHeader(h)), h);
      }),
      { numRuns: 300 },
    );
  });

  test('refuses bad magic, versions, types, FourCCs and reserved bytes', () => {
    const b = encodeStreamHeader(sample);
    const cases: [number, number, string][] = [
      [0, 0x45, 'BAD_MAGIC'],
      [3, 0x55, 'BAD_MAGIC'],
      [4, 0x02, 'UNKNOWN_VERSION'],
      [5, 0x03, 'UNKNOWN_TYPE'],
      [22, 0x00, 'INVALID_FOURCC'],
      [25, 0x7f, 'INVALID_FOURCC'],
      [26, 1, 'RESERVED_BITS_SET'],
      [31, 0x80, 'RESERVED_BITS_SET'],
    ];
    for (const [i, v, code] of cases) {
      const m = Uint8Array.from(b);
      m[i] = v;
      assert.throws(
        () => decodeStreamHeader(m),
        (e) => isProtocolError(e) && e.code === code,
        `byte ${i} = ${v}`,
      );
    }
    assert.throws(
      () => decodeStreamHeader(b.subarray(0, 31)),
      (e) => isProtocolError(e, 'LENGTH_MISMATCH'),
    );
  });

  test('random and mutated bytes: a header or a typed error', () => {
    const input = fc.oneof(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      arbitraryStreamHeader.map(encodeStreamHeader).chain(mutate),
    );
    fc.assert(
      fc.property(input, (bytes) => {
        try {
          assert.deepEqual(encodeStreamHeader(decodeStreamHeader(bytes)), bytes);
        } catch (e) {
          assert.ok(isProtocolError(e), String(e));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
