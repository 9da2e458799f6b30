// HTTP capsules on the CONNECT stream (RFC 9297 section 3.2) as WebTransport uses them.
import { H3Error } from './h3-error.ts';
import type { TlvPolicy } from './tlv-reader.ts';
import { varintLength, writeVarint } from './varint.ts';

export const CAPSULE = {
  DATAGRAM: 0x00,
  CLOSE_WEBTRANSPORT_SESSION: 0x2843,
  DRAIN_WEBTRANSPORT_SESSION: 0x78ae,
} as const;

export const MAX_CLOSE_REASON_BYTES = 1024;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function capsulePolicy(): (type: number) => TlvPolicy {
  return (type) => {
    switch (type) {
      case CAPSULE.CLOSE_WEBTRANSPORT_SESSION:
        return {
          mode: 'buffer',
          max: 4 + MAX_CLOSE_REASON_BYTES,
          onTooLarge: H3Error.message('CLOSE_WEBTRANSPORT_SESSION capsule too large'),
        };
      case CAPSULE.DRAIN_WEBTRANSPORT_SESSION:
        return { mode: 'buffer', max: 0, onTooLarge: H3Error.message('DRAIN capsule with a payload') };
      default:
        return { mode: 'skip' }; // unknown capsules (including GREASE) must be ignored
    }
  };
}

/** Truncates a reason to at most 1024 UTF-8 bytes without splitting a character. */
export function truncateReason(reason: string): Uint8Array {
  let bytes = utf8Encoder.encode(reason);
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return bytes;
  let end = MAX_CLOSE_REASON_BYTES;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  bytes = bytes.subarray(0, end);
  return bytes;
}

export function encodeCloseCapsule(code: number, reason: string): Uint8Array {
  const reasonBytes = truncateReason(reason);
  const length = 4 + reasonBytes.length;
  const out = new Uint8Array(
    varintLength(CAPSULE.CLOSE_WEBTRANSPORT_SESSION) + varintLength(length) + length,
  );
  let pos = writeVarint(out, 0, CAPSULE.CLOSE_WEBTRANSPORT_SESSION);
  pos = writeVarint(out, pos, length);
  new DataView(out.buffer).setUint32(pos, code >>> 0);
  out.set(reasonBytes, pos + 4);
  return out;
}

export function decodeCloseCapsule(payload: Uint8Array): { closeCode: number; reason: string } {
  if (payload.length < 4) throw H3Error.message('CLOSE_WEBTRANSPORT_SESSION shorter than 4 bytes');
  const closeCode = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0);
  let reason: string;
  try {
    reason = utf8Decoder.decode(payload.subarray(4));
  } catch {
    throw H3Error.message('close reason is not UTF-8');
  }
  return { closeCode, reason };
}
