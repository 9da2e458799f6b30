import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isProtocolError } from '../errors/protocol-error.ts';
import { StreamType } from '../gen/darktower/v1/enums_pb.ts';
import { KnownFourCC } from '../ids/fourcc.ts';
import type { Micros } from '../ids/micros.ts';
import { randomStreamId } from '../ids/stream-id.ts';
import {
  arbitraryMediaStream,
  chunk,
  concat,
  type EncodedMediaStream,
  mutate,
} from '../testing/arbitrary-media.ts';
import { FRAME_HEADER_BYTES, type FrameHeader, FrameType } from './frame-header.ts';
import { encodeMediaFrame } from './media-frame.ts';
import { type MediaStreamEvent, MediaStreamParser } from './media-stream-parser.ts';
import { encodeStreamHeader, STREAM_HEADER_BYTES, type StreamHeader } from './stream-header.ts';

function parseAll(parser: MediaStreamParser, chunks: readonly Uint8Array[]): MediaStreamEvent[] {
  const out: MediaStreamEvent[] = [];
  for (const c of chunks) out.push(...parser.push(c));
  parser.finish();
  return out;
}

function expected(s: EncodedMediaStream): MediaStreamEvent[] {
  return [
    { kind: 'header', header: s.header },
    ...s.frames.map((f) => ({ kind: 'frame' as const, header: f.header, payload: f.payload })),
  ];
}

const audio: StreamHeader = {
  streamType: StreamType.AUDIO,
  streamId: randomStreamId(),
  codec: KnownFourCC.Opus,
};
const audioFrame = (patch: Partial<FrameHeader> = {}, payload = new Uint8Array(10)): Uint8Array =>
  encodeMediaFrame(
    {
      frameType: FrameType.Audio,
      streamId: audio.streamId,
      timestamp: 1 as Micros,
      sequence: 1,
      payloadLength: payload.length,
      endOfFrame: true,
      discardable: false,
      audioLevel: undefined,
      ...patch,
    },
    payload,
  );

describe('MediaStreamParser', () => {
  test('one-shot parsing yields the header and every frame', () => {
    fc.assert(
      fc.property(arbitraryMediaStream, (s) => {
        assert.deepEqual(parseAll(new MediaStreamParser(), [s.bytes]), expected(s));
      }),
      { numRuns: 300 },
    );
  });

  test('any chunking gives the same events as one-shot parsing', () => {
    fc.assert(
      fc.property(arbitraryMediaStream, fc.array(fc.nat(), { maxLength: 30 }), (s, cuts) => {
        assert.deepEqual(parseAll(new MediaStreamParser(), chunk(s.bytes, cuts)), expected(s));
      }),
      { numRuns: 300 },
    );
  });

  test('byte-at-a-time parsing works', () => {
    fc.assert(
      fc.property(arbitraryMediaStream, (s) => {
        const p = new MediaStreamParser();
        assert.deepEqual(
          parseAll(
            p,
            [...s.bytes].map((b) => new Uint8Array([b])),
          ),
          expected(s),
        );
      }),
      { numRuns: 30 },
    );
  });

  test('payloads inside one chunk are views (no copy)', () => {
    const bytes = concat([encodeStreamHeader(audio), audioFrame(), audioFrame({ sequence: 2 })]);
    const events = new MediaStreamParser().push(bytes);
    assert.equal(events.length, 3);
    for (const e of events) if (e.kind === 'frame') assert.equal(e.payload.buffer, bytes.buffer);
  });

  test('refuses a frame of another stream id or of the wrong kind', () => {
    const other = audioFrame({ streamId: randomStreamId() });
    assert.throws(
      () => new MediaStreamParser().push(concat([encodeStreamHeader(audio), other])),
      (e) => isProtocolError(e, 'STREAM_MISMATCH'),
    );
    const video = audioFrame({ frameType: FrameType.VideoKey });
    assert.throws(
      () => new MediaStreamParser().push(concat([encodeStreamHeader(audio), video])),
      (e) => isProtocolError(e, 'STREAM_MISMATCH'),
    );
    const onVideo = { ...audio, streamType: StreamType.VIDEO_SCREEN, codec: KnownFourCC.AV1 };
    assert.throws(
      () => new MediaStreamParser().push(concat([encodeStreamHeader(onVideo), audioFrame()])),
      (e) => isProtocolError(e, 'STREAM_MISMATCH'),
    );
  });

  test('refuses a payload length over the cap before allocating, and stays failed', () => {
    const p = new MediaStreamParser({ maxPayloadLength: 64 });
    const head = audioFrame({}, new Uint8Array(65)).subarray(0, FRAME_HEADER_BYTES);
    p.push(encodeStreamHeader(audio));
    assert.throws(
      () => p.push(head),
      (e) => isProtocolError(e, 'LENGTH_OVER_CAP'),
    );
    assert.equal(p.allocatedBytes, 0);
    assert.throws(
      () => p.push(new Uint8Array(1)),
      (e) => isProtocolError(e, 'LENGTH_OVER_CAP'),
    );
    assert.throws(
      () => {
        p.finish();
      },
      (e) => isProtocolError(e, 'LENGTH_OVER_CAP'),
    );
  });

  test('finish() reports a stream cut inside a header or payload', () => {
    const bytes = concat([encodeStreamHeader(audio), audioFrame()]);
    const clean = new Set([STREAM_HEADER_BYTES, bytes.length]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const p = new MediaStreamParser();
      p.push(bytes.subarray(0, cut));
      if (clean.has(cut)) {
        p.finish();
      } else {
        assert.throws(
          () => {
            p.finish();
          },
          (e) => isProtocolError(e, 'TRUNCATED'),
          `cut at ${cut}`,
        );
      }
    }
  });

  test('random and mutated streams: only typed errors, never an allocation above the cap', () => {
    const cap = 100;
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 1024 }),
      arbitraryMediaStream.chain((s) => mutate(s.bytes)),
      // A valid header followed by garbage exercises the frame path more than random bytes do.
      arbitraryMediaStream.chain((s) =>
        fc.uint8Array({ maxLength: 512 }).map((garbage) => concat([encodeStreamHeader(s.header), garbage])),
      ),
    );
    fc.assert(
      fc.property(input, fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
        const p = new MediaStreamParser({ maxPayloadLength: cap });
        try {
          for (const c of chunk(bytes, cuts)) {
            for (const e of p.push(c)) if (e.kind === 'frame') assert.ok(e.payload.length <= cap);
            assert.ok(p.allocatedBytes <= cap);
          }
          p.finish();
        } catch (e) {
          assert.ok(isProtocolError(e), String(e));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
