import type { ProtocolErrorCode } from './protocol-error.ts';

/** QUIC RESET_STREAM / STOP_SENDING application error codes of media streams (webtransport-flow.md). */
export const MediaResetCode = {
  NoError: 0x00,
  InvalidStreamFormat: 0x01,
  AuthenticationFailed: 0x02,
  QuotaExceeded: 0x03,
  InternalError: 0x04,
} as const;
export type MediaResetCode = (typeof MediaResetCode)[keyof typeof MediaResetCode];

/** The reset code to close a media stream with when its bytes failed to decode with `code`. */
export function mediaResetCodeFor(code: ProtocolErrorCode): MediaResetCode {
  switch (code) {
    case 'LENGTH_OVER_CAP':
      return MediaResetCode.QuotaExceeded;
    case 'BAD_MAGIC':
    case 'UNKNOWN_VERSION':
    case 'UNKNOWN_TYPE':
    case 'LENGTH_MISMATCH':
    case 'TRUNCATED':
    case 'RESERVED_BITS_SET':
    case 'VALUE_OUT_OF_RANGE':
    case 'STREAM_MISMATCH':
    case 'MALFORMED_PROTOBUF':
    case 'INVALID_STREAM_ID':
    case 'INVALID_FOURCC':
    case 'INVALID_ARGUMENT':
      return MediaResetCode.InvalidStreamFormat;
    case 'CLOSED':
      return MediaResetCode.NoError;
    default: {
      const unhandled: never = code;
      throw new TypeError(`unhandled protocol error code ${String(unhandled)}`);
    }
  }
}
