import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isProtocolError } from '../errors/protocol-error.ts';
import { arbitraryFrame, concat } from '../testing/arbitrary-media.ts';
import { FRAME_HEADER_BYTES } from './frame-header.ts';
import { fragmentFrame } from './fragment.ts';
import { decodeMediaFrame, encodeMediaFrame } from './media-frame.ts';

test('fragments fit the datagram size and reassemble to the frame', () => {
  fc.assert(
    fc.property(
      arbitraryFrame,
      fc.integer({ min: FRAME_HEADER_BYTES + 1, max: 400 }),
      fc.nat({ max: 1_000_000 }),
      ({ header, payload }, maxBytes, firstSequence) => {
        const parts = fragmentFrame(header, payload, firstSequence, maxBytes);
        const datagrams = parts.map((p) => encodeMediaFrame(p.header, p.payload));
        for (const d of datagrams) assert.ok(d.length <= maxBytes);
        const decoded = datagrams.map((d) => decodeMediaFrame(d));
        assert.deepEqual(concat(decoded.map((d) => d.payload)), payload);
        decoded.forEach((d, i) => {
          assert.equal(d.header.sequence, firstSequence + i);
          assert.equal(d.header.timestamp, header.timestamp);
          assert.equal(d.header.frameType, header.frameType);
          assert.equal(d.header.endOfFrame, i === decoded.length - 1);
        });
      },
    ),
    { numRuns: 200 },
  );
});

test('an empty payload is one fragment with endOfFrame', () => {
  fc.assert(
    fc.property(arbitraryFrame, ({ header }) => {
      const parts = fragmentFrame(header, new Uint8Array(0), 3, 1200);
      assert.equal(parts.length, 1);
      assert.equal(parts[0]?.header.endOfFrame, true);
    }),
    { numRuns: 10 },
  );
});

test('refuses a datagram size with no room for payload', () => {
  fc.assert(
    fc.property(arbitraryFrame, ({ header, payload }) => {
      assert.throws(
        () => fragmentFrame(header, payload, 0, FRAME_HEADER_BYTES),
        (e) => isProtocolError(e, 'INVALID_ARGUMENT'),
      );
    }),
    { numRuns: 5 },
  );
});
