// fast-check arbitraries for the media wire formats, shared by the media property tests (not exported).
import fc from 'fast-check';
import { StreamType } from '../gen/darktower/v1/enums_pb.ts';
import type { FourCC } from '../ids/fourcc.ts';
import type { Micros } from '../ids/micros.ts';
import { readStreamId, type StreamId } from '../ids/stream-id.ts';
import { type AudioLevel, type FrameHeader, FrameType } from '../media/frame-header.ts';
import { encodeMediaFrame, type MediaFrame } from '../media/media-frame.ts';
import { encodeStreamHeader, type StreamHeader } from '../media/stream-header.ts';

export const arbitraryStreamId: fc.Arbitrary<StreamId> = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((b) => readStreamId(b, 0));

export const arbitraryFourCC: fc.Arbitrary<FourCC> = fc
  .array(fc.integer({ min: 0x20, max: 0x7e }), { minLength: 4, maxLength: 4 })
  .map((cs) => String.fromCharCode(...cs) as FourCC);

export const arbitraryStreamType: fc.Arbitrary<StreamType> = fc.constantFrom(
  StreamType.AUDIO,
  StreamType.VIDEO_CAMERA,
  StreamType.VIDEO_SCREEN,
);

// fc.record builds null-prototype objects; spread them so that deepStrictEqual compares them with decoded ones.
export const arbitraryStreamHeader: fc.Arbitrary<StreamHeader> = fc
  .record({ streamType: arbitraryStreamType, streamId: arbitraryStreamId, codec: arbitraryFourCC })
  .map((h) => ({ ...h }));

const arbitraryU53 = fc.oneof(
  fc.nat(),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
);

const arbitraryAudioLevel: fc.Arbitrary<AudioLevel> = fc
  .record({ level: fc.integer({ min: 0, max: 127 }), voiceActivity: fc.boolean() })
  .map((l) => ({ ...l }));

/** A frame header of the given type(s) for the given stream id, with `payloadLength` filled in by the caller. */
export function arbitraryFrameHeaderFor(
  streamId: fc.Arbitrary<StreamId>,
  frameTypes: readonly FrameType[],
  payloadLength: fc.Arbitrary<number>,
): fc.Arbitrary<FrameHeader> {
  return fc
    .record({
      frameType: fc.constantFrom(...frameTypes),
      streamId,
      timestamp: arbitraryU53.map((n) => n as Micros),
      sequence: arbitraryU53,
      payloadLength,
      endOfFrame: fc.boolean(),
      discardable: fc.boolean(),
      audioLevel: fc.option(arbitraryAudioLevel, { nil: undefined }),
    })
    .map((h) => (h.frameType === FrameType.Audio ? { ...h } : { ...h, audioLevel: undefined }));
}

export const ALL_FRAME_TYPES: readonly FrameType[] = [
  FrameType.Audio,
  FrameType.VideoKey,
  FrameType.VideoDelta,
];

export const arbitraryFrameHeader: fc.Arbitrary<FrameHeader> = arbitraryFrameHeaderFor(
  arbitraryStreamId,
  ALL_FRAME_TYPES,
  fc.oneof(fc.nat({ max: 4096 }), fc.constantFrom(0, 4 * 1024 * 1024)),
);

/** A frame (header + matching payload) of one of `frameTypes` on `streamId`. */
export function arbitraryFrameFor(
  streamId: StreamId,
  frameTypes: readonly FrameType[],
): fc.Arbitrary<MediaFrame> {
  return fc.uint8Array({ maxLength: 300 }).chain((payload) =>
    arbitraryFrameHeaderFor(fc.constant(streamId), frameTypes, fc.constant(payload.length)).map((header) => ({
      header,
      payload,
    })),
  );
}

export const arbitraryFrame: fc.Arbitrary<MediaFrame> = arbitraryStreamId.chain((id) =>
  arbitraryFrameFor(id, ALL_FRAME_TYPES),
);

/** A whole valid media stream: header, frames, and its encoding. */
export interface EncodedMediaStream {
  readonly header: StreamHeader;
  readonly frames: readonly MediaFrame[];
  readonly bytes: Uint8Array;
}

export const arbitraryMediaStream: fc.Arbitrary<EncodedMediaStream> = arbitraryStreamHeader.chain((header) =>
  fc
    .array(
      arbitraryFrameFor(
        header.streamId,
        header.streamType === StreamType.AUDIO
          ? [FrameType.Audio]
          : [FrameType.VideoKey, FrameType.VideoDelta],
      ),
      { maxLength: 8 },
    )
    .map((frames) => ({
      header,
      frames,
      bytes: concat([
        encodeStreamHeader(header),
        ...frames.map((f) => encodeMediaFrame(f.header, f.payload)),
      ]),
    })),
);

/** Splits `bytes` at the given cut points (any numbers; reduced modulo the length, sorted, deduplicated). */
export function chunk(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort(
    (a, b) => a - b,
  );
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.slice(prev, p));
    prev = p;
  }
  return out;
}

/** Arbitrary mutations of a valid encoding: flipped bytes, truncation, extension. */
export function mutate(bytes: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc
      .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
      .map((edits) => {
        const out = bytes.slice();
        if (out.length === 0) return out;
        for (const [i, v] of edits) out[i % out.length] = v;
        return out;
      }),
    fc.nat().map((n) => bytes.slice(0, bytes.length === 0 ? 0 : n % bytes.length)),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((extra) => concat([bytes, extra])),
  );
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
