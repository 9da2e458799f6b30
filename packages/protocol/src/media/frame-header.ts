import { ProtocolError } from '../errors/protocol-error.ts';
import { readStreamId, type StreamId, writeStreamId } from '../ids/stream-id.ts';
import type { Micros } from '../ids/micros.ts';

/** Size of the media frame header (api-contracts.md 3.2). */
export const FRAME_HEADER_BYTES = 46;
/** The only media frame version. */
export const FRAME_VERSION = 0x01;
/**
 * Offset of the 16-byte stream id in a frame header. A forwarder that delivers a stream under another id (a layout
 * slot stream id) rewrites it in place: `writeStreamId(slotId, frameBytes, FRAME_STREAM_ID_OFFSET)`.
 */
export const FRAME_STREAM_ID_OFFSET = 2;
/** Default cap on a frame's payload length: 4 MiB. */
export const DEFAULT_MAX_PAYLOAD_LENGTH = 4 * 1024 * 1024;

export const FrameType = {
  Audio: 0x00,
  VideoKey: 0x01,
  VideoDelta: 0x02,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Flag bits (u16 at offset 38). Bits 3..15 are reserved and must be zero. */
export const FrameFlag = {
  /** The last fragment of an encoded frame (a frame split across several media frames, e.g. datagrams). */
  EndOfFrame: 1 << 0,
  /** May be dropped by a forwarder under congestion without breaking decoding of later frames. */
  Discardable: 1 << 1,
  /** Dark Tower extension: byte 40 carries the audio level (audio frames only). */
  AudioLevel: 1 << 2,
} as const;
const KNOWN_FLAGS = FrameFlag.EndOfFrame | FrameFlag.Discardable | FrameFlag.AudioLevel;

/**
 * Audio level of an audio frame, RFC 6464 style, carried in the clear (byte 40) so that a forwarder can detect the
 * active speaker without decrypting the end-to-end encrypted payload. level: 0 = 0 dBov (loudest) .. 127 = silence.
 */
export interface AudioLevel {
  readonly level: number;
  readonly voiceActivity: boolean;
}

export interface FrameHeader {
  readonly frameType: FrameType;
  readonly streamId: StreamId;
  /** Capture time, microseconds since the Unix epoch. */
  readonly timestamp: Micros;
  /** Per-stream counter of media frames (fragments), +1 per frame. */
  readonly sequence: number;
  readonly payloadLength: number;
  readonly endOfFrame: boolean;
  readonly discardable: boolean;
  /** Only on audio frames; undefined when the sender did not measure it. */
  readonly audioLevel: AudioLevel | undefined;
}

const TWO_32 = 0x1_0000_0000;
// Highest value of the high 32 bits that keeps a u64 within Number.MAX_SAFE_INTEGER (2^53 - 1).
const MAX_SAFE_HIGH = 0x1f_ffff;

/**
 * Writes `header` into `target` at `offset` (46 bytes). Validates every field; throws INVALID_ARGUMENT /
 * VALUE_OUT_OF_RANGE on a header that its own decoder would refuse.
 */
export function writeFrameHeader(header: FrameHeader, target: Uint8Array, offset = 0): void {
  if (offset < 0 || offset + FRAME_HEADER_BYTES > target.length) {
    throw ProtocolError.invalidArgument('frame header does not fit in the target buffer');
  }
  // Re-checked at run time: callers in plain JavaScript (or with casts) can pass any number.
  const t = toFrameType(header.frameType);
  checkU53('timestamp', header.timestamp);
  checkU53('sequence', header.sequence);
  if (!Number.isInteger(header.payloadLength) || header.payloadLength < 0 || header.payloadLength >= TWO_32) {
    throw ProtocolError.invalidArgument('payloadLength must be a u32');
  }
  let flags =
    (header.endOfFrame ? FrameFlag.EndOfFrame : 0) | (header.discardable ? FrameFlag.Discardable : 0);
  let levelByte = 0;
  if (header.audioLevel !== undefined) {
    if (t !== FrameType.Audio)
      throw ProtocolError.invalidArgument('audioLevel is only allowed on audio frames');
    const { level, voiceActivity } = header.audioLevel;
    if (!Number.isInteger(level) || level < 0 || level > 127) {
      throw ProtocolError.invalidArgument('audio level must be an integer 0..127');
    }
    flags |= FrameFlag.AudioLevel;
    levelByte = (voiceActivity ? 0x80 : 0) | level;
  }
  const view = new DataView(target.buffer, target.byteOffset + offset, FRAME_HEADER_BYTES);
  view.setUint8(0, FRAME_VERSION);
  view.setUint8(1, t);
  writeStreamId(header.streamId, target, offset + FRAME_STREAM_ID_OFFSET);
  view.setUint32(18, Math.floor(header.timestamp / TWO_32));
  view.setUint32(22, header.timestamp % TWO_32);
  view.setUint32(26, Math.floor(header.sequence / TWO_32));
  view.setUint32(30, header.sequence % TWO_32);
  view.setUint32(34, header.payloadLength);
  view.setUint16(38, flags);
  view.setUint8(40, levelByte);
  view.setUint8(41, 0);
  view.setUint32(42, 0);
}

/** The 46-byte header alone (write it, then the payload, to avoid copying the payload). */
export function encodeFrameHeader(header: FrameHeader): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES);
  writeFrameHeader(header, out, 0);
  return out;
}

/**
 * Reads the 46-byte header at `offset`. Checks version, frame type, reserved bits and bytes, the audio-level
 * extension, u64 fields within 2^53-1 and the payload length against `maxPayloadLength` (default 4 MiB); it does not
 * require the payload to be present.
 */
export function readFrameHeader(
  bytes: Uint8Array,
  offset = 0,
  maxPayloadLength = DEFAULT_MAX_PAYLOAD_LENGTH,
): FrameHeader {
  if (offset < 0 || bytes.length - offset < FRAME_HEADER_BYTES) {
    throw ProtocolError.truncated('frame header', FRAME_HEADER_BYTES, Math.max(0, bytes.length - offset));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, FRAME_HEADER_BYTES);
  const version = view.getUint8(0);
  if (version !== FRAME_VERSION) throw ProtocolError.unknownVersion('media frame', version);
  const frameType = toFrameType(view.getUint8(1));
  const tsHigh = view.getUint32(18);
  const seqHigh = view.getUint32(26);
  if (tsHigh > MAX_SAFE_HIGH) throw ProtocolError.valueOutOfRange('frame timestamp');
  if (seqHigh > MAX_SAFE_HIGH) throw ProtocolError.valueOutOfRange('frame sequence');
  const payloadLength = view.getUint32(34);
  if (payloadLength > maxPayloadLength) {
    throw ProtocolError.lengthOverCap('frame payload', payloadLength, maxPayloadLength);
  }
  const flags = view.getUint16(38);
  if ((flags & ~KNOWN_FLAGS) !== 0) throw ProtocolError.reservedBitsSet('frame flags');
  if (view.getUint8(41) !== 0 || view.getUint32(42) !== 0)
    throw ProtocolError.reservedBitsSet('frame header');
  const levelByte = view.getUint8(40);
  let audioLevel: AudioLevel | undefined;
  if ((flags & FrameFlag.AudioLevel) !== 0) {
    if (frameType !== FrameType.Audio)
      throw ProtocolError.reservedBitsSet('audio level flag on a video frame');
    audioLevel = { level: levelByte & 0x7f, voiceActivity: (levelByte & 0x80) !== 0 };
  } else if (levelByte !== 0) {
    throw ProtocolError.reservedBitsSet('frame header byte 40 without the audio level flag');
  }
  return {
    frameType,
    streamId: readStreamId(bytes, offset + FRAME_STREAM_ID_OFFSET),
    timestamp: (tsHigh * TWO_32 + view.getUint32(22)) as Micros,
    sequence: seqHigh * TWO_32 + view.getUint32(30),
    payloadLength,
    endOfFrame: (flags & FrameFlag.EndOfFrame) !== 0,
    discardable: (flags & FrameFlag.Discardable) !== 0,
    audioLevel,
  };
}

/** Reads the header of exactly 46 bytes (see {@link readFrameHeader}). */
export function decodeFrameHeader(
  bytes: Uint8Array,
  maxPayloadLength = DEFAULT_MAX_PAYLOAD_LENGTH,
): FrameHeader {
  if (bytes.length !== FRAME_HEADER_BYTES) {
    throw ProtocolError.lengthMismatch('frame header', FRAME_HEADER_BYTES, bytes.length);
  }
  return readFrameHeader(bytes, 0, maxPayloadLength);
}

export function toFrameType(byte: number): FrameType {
  switch (byte) {
    case FrameType.Audio:
    case FrameType.VideoKey:
    case FrameType.VideoDelta:
      return byte;
    default:
      throw ProtocolError.unknownType('frame type', byte);
  }
}

function checkU53(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    if (Number.isInteger(value) && value > 0) throw ProtocolError.valueOutOfRange(what);
    throw ProtocolError.invalidArgument(`${what} must be a non-negative integer`);
  }
}
