import { ProtocolError } from '../errors/protocol-error.ts';

/** Bytes of the big-endian length prefix in front of every signaling / control message (webtransport-flow.md 1.4). */
export const LENGTH_PREFIX_BYTES = 4;

/** Default cap on one length-prefixed message: 64 KiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024;

/** Largest length the 4-byte prefix can express. */
export const MAX_LENGTH_PREFIX_VALUE = 0xffff_ffff;

/**
 * `payload` with its 4-byte big-endian length prefix, as one buffer (so a single write keeps the frame together).
 * Refuses a payload over `maxMessageSize` (default 64 KiB): what we would refuse to read we do not send.
 */
export function encodeFrame(payload: Uint8Array, maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE): Uint8Array {
  if (payload.length > maxMessageSize) {
    throw ProtocolError.lengthOverCap('message', payload.length, maxMessageSize);
  }
  const out = new Uint8Array(LENGTH_PREFIX_BYTES + payload.length);
  const n = payload.length;
  out[0] = n >>> 24;
  out[1] = (n >>> 16) & 0xff;
  out[2] = (n >>> 8) & 0xff;
  out[3] = n & 0xff;
  out.set(payload, LENGTH_PREFIX_BYTES);
  return out;
}

/** Validates a max-message-size option (a whole number of bytes that the prefix can express). */
export function checkMaxMessageSize(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_LENGTH_PREFIX_VALUE) {
    throw ProtocolError.invalidArgument(`maxMessageSize must be an integer in 0..${MAX_LENGTH_PREFIX_VALUE}`);
  }
  return value;
}
