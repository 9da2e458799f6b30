import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isProtocolError } from '../errors/protocol-error.ts';
import { arbitraryFrame, mutate } from '../testing/arbitrary-media.ts';
import { randomStreamId, writeStreamId } from '../ids/stream-id.ts';
import { FRAME_HEADER_BYTES, FRAME_STREAM_ID_OFFSET } from './frame-header.ts';
import { decodeMediaFrame, encodeMediaFrame } from './media-frame.ts';

describe('media frame (datagram form)', () => {
  test('round-trips every frame; the payload is a view into the datagram', () => {
    fc.assert(
      fc.property(arbitraryFrame, ({ header, payload }) => {
        const datagram = encodeMediaFrame(header, payload);
        assert.equal(datagram.length, FRAME_HEADER_BYTES + payload.length);
        const back = decodeMediaFrame(datagram);
        assert.deepEqual(back.header, header);
        assert.deepEqual(back.payload, payload);
        assert.equal(back.payload.buffer, datagram.buffer);
      }),
      { numRuns: 300 },
    );
  });

  test('refuses a payload shorter or longer than its length field', () => {
    fc.assert(
      fc.property(arbitraryFrame, fc.integer({ min: 1, max: 10 }), ({ header, payload }, n) => {
        const datagram = encodeMediaFrame(header, payload);
        const longer = new Uint8Array(datagram.length + n);
        longer.set(datagram);
        assert.throws(
          () => decodeMediaFrame(longer),
          (e) => isProtocolError(e, 'LENGTH_MISMATCH'),
        );
        if (payload.length > 0) {
          assert.throws(
            () => decodeMediaFrame(datagram.subarray(0, datagram.length - Math.min(n, payload.length))),
            (e) => isProtocolError(e, 'TRUNCATED'),
          );
        }
      }),
    );
  });

  test('the encoder refuses a header whose payloadLength does not match', () => {
    fc.assert(
      fc.property(arbitraryFrame, ({ header, payload }) => {
        assert.throws(
          () => encodeMediaFrame({ ...header, payloadLength: payload.length + 1 }, payload),
          (e) => isProtocolError(e, 'INVALID_ARGUMENT'),
        );
      }),
      { numRuns: 20 },
    );
  });

  test('random and mutated datagrams: a frame or a typed error, within the cap', () => {
    const cap = 128;
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      arbitraryFrame.map((f) => encodeMediaFrame(f.header, f.payload)).chain(mutate),
    );
    fc.assert(
      fc.property(input, (bytes) => {
        try {
          const f = decodeMediaFrame(bytes, cap);
          assert.ok(f.payload.length <= cap);
          assert.deepEqual(encodeMediaFrame(f.header, f.payload), bytes);
        } catch (e) {
          assert.ok(isProtocolError(e), String(e));
        }
      }),
      { numRuns: 1000 },
    );
  });
});

test('a forwarder can rewrite the stream id in place', () => {
  fc.assert(
    fc.property(arbitraryFrame, ({ header, payload }) => {
      const bytes = encodeMediaFrame(header, payload);
      const slot = randomStreamId();
      writeStreamId(slot, bytes, FRAME_STREAM_ID_OFFSET);
      assert.deepEqual(decodeMediaFrame(bytes).header, { ...header, streamId: slot });
    }),
    { numRuns: 50 },
  );
});
