import { ProtocolError } from '../errors/protocol-error.ts';
import { StreamType } from '../gen/darktower/v1/enums_pb.ts';
import { type FourCC, readFourCC, writeFourCC } from '../ids/fourcc.ts';
import { readStreamId, type StreamId, writeStreamId } from '../ids/stream-id.ts';

/** Size of the header that opens every media stream (webtransport-flow.md 2.3). */
export const STREAM_HEADER_BYTES = 32;
/** "DART" */
export const STREAM_MAGIC = 0x44415254;
/** Offset of the 16-byte stream id in the stream header. */
export const STREAM_HEADER_STREAM_ID_OFFSET = 6;
/** The only media stream header version. */
export const STREAM_VERSION = 0x01;

/**
 * The first 32 bytes of a unidirectional media stream. The stream type byte uses the protobuf StreamType numbers:
 * 0x00 AUDIO, 0x01 VIDEO_CAMERA (the documented "video"), 0x02 VIDEO_SCREEN (a Dark Tower addition, so that a
 * forwarder can prioritise screen shares without asking the controller).
 */
export interface StreamHeader {
  readonly streamType: StreamType;
  readonly streamId: StreamId;
  readonly codec: FourCC;
}

/** Writes `header` at `offset` (32 bytes). */
export function writeStreamHeader(header: StreamHeader, target: Uint8Array, offset = 0): void {
  if (offset < 0 || offset + STREAM_HEADER_BYTES > target.length) {
    throw ProtocolError.invalidArgument('stream header does not fit in the target buffer');
  }
  const view = new DataView(target.buffer, target.byteOffset + offset, STREAM_HEADER_BYTES);
  view.setUint32(0, STREAM_MAGIC);
  view.setUint8(4, STREAM_VERSION);
  view.setUint8(5, toStreamType(header.streamType));
  writeStreamId(header.streamId, target, offset + STREAM_HEADER_STREAM_ID_OFFSET);
  writeFourCC(header.codec, target, offset + 22);
  view.setUint16(26, 0);
  view.setUint32(28, 0);
}

export function encodeStreamHeader(header: StreamHeader): Uint8Array {
  const out = new Uint8Array(STREAM_HEADER_BYTES);
  writeStreamHeader(header, out, 0);
  return out;
}

/** Reads the 32-byte stream header at `offset`: magic, version, type, printable FourCC, zero reserved bytes. */
export function readStreamHeader(bytes: Uint8Array, offset = 0): StreamHeader {
  if (offset < 0 || bytes.length - offset < STREAM_HEADER_BYTES) {
    throw ProtocolError.truncated('stream header', STREAM_HEADER_BYTES, Math.max(0, bytes.length - offset));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, STREAM_HEADER_BYTES);
  const magic = view.getUint32(0);
  if (magic !== STREAM_MAGIC) throw ProtocolError.badMagic(magic);
  const version = view.getUint8(4);
  if (version !== STREAM_VERSION) throw ProtocolError.unknownVersion('media stream header', version);
  const streamType = toStreamType(view.getUint8(5));
  if (view.getUint16(26) !== 0 || view.getUint32(28) !== 0)
    throw ProtocolError.reservedBitsSet('stream header');
  return {
    streamType,
    streamId: readStreamId(bytes, offset + STREAM_HEADER_STREAM_ID_OFFSET),
    codec: readFourCC(bytes, offset + 22),
  };
}

/** Reads a header of exactly 32 bytes. */
export function decodeStreamHeader(bytes: Uint8Array): StreamHeader {
  if (bytes.length !== STREAM_HEADER_BYTES) {
    throw ProtocolError.lengthMismatch('stream header', STREAM_HEADER_BYTES, bytes.length);
  }
  return readStreamHeader(bytes, 0);
}

export function toStreamType(byte: number): StreamType {
  switch (byte) {
    case StreamType.AUDIO as number:
      return StreamType.AUDIO;
    case StreamType.VIDEO_CAMERA as number:
      return StreamType.VIDEO_CAMERA;
    case StreamType.VIDEO_SCREEN as number:
      return StreamType.VIDEO_SCREEN;
    default:
      throw ProtocolError.unknownType('stream type', byte);
  }
}
