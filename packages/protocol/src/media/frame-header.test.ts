import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isProtocolError } from '../errors/protocol-error.ts';
import type { Micros } from '../ids/micros.ts';
import { parseStreamId } from '../ids/stream-id.ts';
import { arbitraryFrameHeader, mutate } from '../testing/arbitrary-media.ts';
import {
  decodeFrameHeader,
  encodeFrameHeader,
  FRAME_HEADER_BYTES,
  type FrameHeader,
  FrameType,
  readFrameHeader,
  writeFrameHeader,
} from './frame-header.ts';

const sample: FrameHeader = {
  frameType: FrameType.VideoKey,
  streamId: parseStreamId('550e8400-e29b-41d4-a716-446655440000'),
  timestamp: 0x0102_0304_0506 as Micros,
  sequence: 7,
  payloadLength: 0x1234,
  endOfFrame: true,
  discardable: false,
  audioLevel: undefined,
};

describe('frame header', () => {
  test('has the documented 46-byte layout', () => {
    const b = encodeFrameHeader(sample);
    assert.equal(b.length, FRAME_HEADER_BYTES);
    assert.equal(b[0], 0x01); // version
    assert.equal(b[1], 0x01); // video key
    assert.deepEqual([...b.subarray(2, 6)], [0x55, 0x0e, 0x84, 0x00]); // stream id
    assert.deepEqual([...b.subarray(18, 26)], [0, 0, 1, 2, 3, 4, 5, 6]); // timestamp u64 BE
    assert.deepEqual([...b.subarray(26, 34)], [0, 0, 0, 0, 0, 0, 0, 7]); // sequence u64 BE
    assert.deepEqual([...b.subarray(34, 38)], [0, 0, 0x12, 0x34]); // payload length u32 BE
    assert.deepEqual([...b.subarray(38, 40)], [0, 1]); // flags: end of frame
    assert.deepEqual([...b.subarray(40, 46)], [0, 0, 0, 0, 0, 0]); // reserved
  });

  test('round-trips every valid header', () => {
    fc.assert(
      fc.property(arbitraryFrameHeader, (h) => {
        assert.deepEqual(decodeFrameHeader(encodeFrameHeader(h)), h);
      }),
      { numRuns: 500 },
    );
  });

  test('reads at an offset inside a larger buffer', () => {
    fc.assert(
      fc.property(arbitraryFrameHeader, fc.nat({ max: 40 }), (h, offset) => {
        const buf = new Uint8Array(offset + FRAME_HEADER_BYTES + 3);
        writeFrameHeader(h, buf, offset);
        assert.deepEqual(readFrameHeader(buf.subarray(0), offset), h);
      }),
    );
  });

  test('audio level lives in byte 40 with flag bit 2', () => {
    const b = encodeFrameHeader({
      ...sample,
      frameType: FrameType.Audio,
      audioLevel: { level: 42, voiceActivity: true },
    });
    assert.equal(b[39], 0b101);
    assert.equal(b[40], 0x80 | 42);
  });

  const refuse = (bytes: Uint8Array, code: Parameters<typeof isProtocolError>[1]): void => {
    assert.throws(
      () => decodeFrameHeader(bytes),
      (e) => isProtocolError(e, code),
    );
  };

  test('refuses unknown versions and frame types', () => {
    const b = encodeFrameHeader(sample);
    for (const v of [0, 2, 255]) refuse(Uint8Array.from(b).fill(v, 0, 1), 'UNKNOWN_VERSION');
    for (const t of [3, 0x80, 255]) refuse(Uint8Array.from(b).fill(t, 1, 2), 'UNKNOWN_TYPE');
  });

  test('refuses reserved flag bits and reserved bytes', () => {
    const b = encodeFrameHeader(sample);
    for (let bit = 3; bit < 16; bit++) {
      const m = Uint8Array.from(b);
      const flags = (1 << bit) | 1;
      m[38] = flags >> 8;
      m[39] = flags & 0xff;
      refuse(m, 'RESERVED_BITS_SET');
    }
    for (let i = 40; i < 46; i++) refuse(Uint8Array.from(b).fill(1, i, i + 1), 'RESERVED_BITS_SET');
  });

  test('refuses the audio level flag on a video frame', () => {
    const m = encodeFrameHeader(sample);
    m[39] = 0b100;
    refuse(m, 'RESERVED_BITS_SET');
  });

  test('refuses u64 values above 2^53-1 and payload lengths over the cap', () => {
    const ts = encodeFrameHeader(sample);
    ts[18] = 0x00;
    ts[19] = 0x20; // 2^53
    refuse(ts, 'VALUE_OUT_OF_RANGE');
    const seq = encodeFrameHeader(sample);
    seq[26] = 0xff;
    refuse(seq, 'VALUE_OUT_OF_RANGE');
    const len = encodeFrameHeader({ ...sample, payloadLength: 4 * 1024 * 1024 + 1 });
    refuse(len, 'LENGTH_OVER_CAP');
    assert.equal(decodeFrameHeader(len, 5 * 1024 * 1024).payloadLength, 4 * 1024 * 1024 + 1);
  });

  test('refuses short input', () => {
    const b = encodeFrameHeader(sample);
    for (let n = 0; n < FRAME_HEADER_BYTES; n++) {
      assert.throws(
        () => readFrameHeader(b.subarray(0, n)),
        (e) => isProtocolError(e, 'TRUNCATED'),
      );
    }
  });

  test('random and mutated bytes: a header or a typed error', () => {
    const input = fc.oneof(
      fc.uint8Array({ minLength: 46, maxLength: 46 }),
      arbitraryFrameHeader.map(encodeFrameHeader).chain(mutate),
    );
    fc.assert(
      fc.property(input, (bytes) => {
        try {
          const h = decodeFrameHeader(bytes);
          // Anything accepted re-encodes to the same bytes: the decoder accepts no alternative encodings.
          assert.deepEqual(encodeFrameHeader(h), bytes);
        } catch (e) {
          assert.ok(isProtocolError(e), String(e));
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('the encoder validates its input', () => {
    const bad: Partial<FrameHeader>[] = [
      { frameType: 9 as FrameType },
      { timestamp: -1 as Micros },
      { timestamp: 1.5 as Micros },
      { sequence: 2 ** 53 },
      { payloadLength: 2 ** 32 },
      { audioLevel: { level: 1, voiceActivity: false } }, // on a video frame
      { frameType: FrameType.Audio, audioLevel: { level: 128, voiceActivity: false } },
    ];
    for (const patch of bad) {
      assert.throws(
        () => encodeFrameHeader({ ...sample, ...patch }),
        (e) => isProtocolError(e),
        JSON.stringify(patch),
      );
    }
    assert.throws(
      () => {
        writeFrameHeader(sample, new Uint8Array(45));
      },
      (e) => isProtocolError(e, 'INVALID_ARGUMENT'),
    );
  });
});
