import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isProtocolError } from '../errors/protocol-error.ts';
import { chunk, concat, mutate } from '../testing/arbitrary-media.ts';
import { FrameDecoder } from './frame-decoder.ts';
import { DEFAULT_MAX_MESSAGE_SIZE, encodeFrame } from './length-prefix.ts';

const bodies = fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 });
const cuts = fc.array(fc.nat(), { maxLength: 20 });

function decodeAll(decoder: FrameDecoder, chunks: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const c of chunks) out.push(...decoder.push(c));
  decoder.finish();
  return out;
}

describe('encodeFrame', () => {
  test('writes a 4-byte big-endian length prefix', () => {
    assert.deepEqual([...encodeFrame(new Uint8Array([9, 8, 7]))], [0, 0, 0, 3, 9, 8, 7]);
    const big = encodeFrame(new Uint8Array(0x010203), 0x020000);
    assert.deepEqual([...big.subarray(0, 4)], [0, 1, 2, 3]);
  });

  test('refuses to send what the peer would refuse to read', () => {
    assert.throws(
      () => encodeFrame(new Uint8Array(DEFAULT_MAX_MESSAGE_SIZE + 1)),
      (e) => isProtocolError(e, 'LENGTH_OVER_CAP'),
    );
  });
});

describe('FrameDecoder', () => {
  test('round-trips any messages under any chunking, equal to one-shot decoding', () => {
    fc.assert(
      fc.property(bodies, cuts, (msgs, cutPoints) => {
        const wire = concat(msgs.map((m) => encodeFrame(m)));
        const oneShot = decodeAll(new FrameDecoder(), [wire]);
        const chunked = decodeAll(new FrameDecoder(), chunk(wire, cutPoints));
        assert.deepEqual(oneShot, msgs);
        assert.deepEqual(chunked, msgs);
      }),
    );
  });

  test('byte-at-a-time decoding works', () => {
    const wire = concat([encodeFrame(new Uint8Array([1, 2, 3])), encodeFrame(new Uint8Array(0))]);
    const d = new FrameDecoder();
    const got: Uint8Array[] = [];
    for (const b of wire) got.push(...d.push(new Uint8Array([b])));
    d.finish();
    assert.deepEqual(got, [new Uint8Array([1, 2, 3]), new Uint8Array(0)]);
  });

  test('a message inside one chunk is a view into it (no copy)', () => {
    const wire = encodeFrame(new Uint8Array([5, 6, 7]));
    const [body] = new FrameDecoder().push(wire);
    assert.ok(body);
    assert.equal(body.buffer, wire.buffer);
  });

  test('refuses a length over the cap right after the prefix, before allocating', () => {
    const d = new FrameDecoder({ maxMessageSize: 1024 });
    assert.throws(
      () => d.push(new Uint8Array([0xff, 0xff, 0xff, 0xff])),
      (e) => isProtocolError(e, 'LENGTH_OVER_CAP'),
    );
    assert.equal(d.allocatedBytes, 0);
    // Stays failed.
    assert.throws(
      () => d.push(new Uint8Array([0])),
      (e) => isProtocolError(e, 'LENGTH_OVER_CAP'),
    );
    assert.throws(
      () => d.push(new Uint8Array(0)),
      (e) => isProtocolError(e, 'LENGTH_OVER_CAP'),
    );
  });

  test('accepts exactly the cap', () => {
    const d = new FrameDecoder({ maxMessageSize: 16 });
    assert.equal(d.push(encodeFrame(new Uint8Array(16), 16))[0]?.length, 16);
  });

  test('finish() reports a message cut off by the end of the stream', () => {
    const wire = encodeFrame(new Uint8Array(10));
    for (let cut = 1; cut < wire.length; cut++) {
      const d = new FrameDecoder();
      d.push(wire.subarray(0, cut));
      assert.equal(d.idle, false);
      assert.throws(
        () => {
          d.finish();
        },
        (e) => isProtocolError(e, 'TRUNCATED'),
      );
    }
  });

  test('random and mutated bytes: only typed errors, never an allocation above the cap', () => {
    const cap = 256;
    const valid = bodies.map((msgs) => concat(msgs.map((m) => encodeFrame(m))));
    const input = fc.oneof(fc.uint8Array({ maxLength: 2048 }), valid.chain(mutate));
    fc.assert(
      fc.property(input, cuts, (bytes, cutPoints) => {
        const d = new FrameDecoder({ maxMessageSize: cap });
        try {
          for (const c of chunk(bytes, cutPoints)) {
            for (const m of d.push(c)) assert.ok(m.length <= cap);
            assert.ok(d.allocatedBytes <= cap);
          }
          d.finish();
        } catch (e) {
          if (!isProtocolError(e)) throw e;
          assert.ok(['LENGTH_OVER_CAP', 'TRUNCATED'].includes(e.code), e.code);
        }
      }),
    );
  });

  test('validates its options', () => {
    assert.throws(
      () => new FrameDecoder({ maxMessageSize: -1 }),
      (e) => isProtocolError(e, 'INVALID_ARGUMENT'),
    );
    assert.throws(
      () => new FrameDecoder({ maxMessageSize: 2 ** 32 }),
      (e) => isProtocolError(e, 'INVALID_ARGUMENT'),
    );
  });
});
