import { ProtocolError } from '../errors/protocol-error.ts';
import {
  DEFAULT_MAX_PAYLOAD_LENGTH,
  FRAME_HEADER_BYTES,
  type FrameHeader,
  readFrameHeader,
  writeFrameHeader,
} from './frame-header.ts';

/** One media frame: header + payload. The payload is usually SFrame ciphertext the forwarder never reads. */
export interface MediaFrame {
  readonly header: FrameHeader;
  readonly payload: Uint8Array;
}

/**
 * Header + payload in one buffer: the datagram form (one frame per QUIC datagram) and a convenient form for stream
 * writes. header.payloadLength must equal payload.length.
 */
export function encodeMediaFrame(header: FrameHeader, payload: Uint8Array): Uint8Array {
  if (header.payloadLength !== payload.length) {
    throw ProtocolError.invalidArgument(
      `header.payloadLength ${header.payloadLength} does not match the payload (${payload.length} bytes)`,
    );
  }
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  writeFrameHeader(header, out, 0);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/**
 * Decodes exactly one frame (a datagram). The payload is a view into `bytes` (no copy). Throws TRUNCATED when the
 * payload is shorter than its length field and LENGTH_MISMATCH when bytes follow it.
 */
export function decodeMediaFrame(
  bytes: Uint8Array,
  maxPayloadLength = DEFAULT_MAX_PAYLOAD_LENGTH,
): MediaFrame {
  const header = readFrameHeader(bytes, 0, maxPayloadLength);
  const total = FRAME_HEADER_BYTES + header.payloadLength;
  if (bytes.length < total) throw ProtocolError.truncated('media frame payload', total, bytes.length);
  if (bytes.length > total) throw ProtocolError.lengthMismatch('media frame', total, bytes.length);
  return { header, payload: bytes.subarray(FRAME_HEADER_BYTES, total) };
}
