// HTTP/3, QPACK and WebTransport error codes (RFC 9114 section 8.1, RFC 9204 section 6,
// draft-ietf-webtrans-http3) and the internal error that carries one until it becomes a CONNECTION_CLOSE
// or a stream reset.

export const H3_CODES = {
  NO_ERROR: 0x100,
  GENERAL_PROTOCOL_ERROR: 0x101,
  INTERNAL_ERROR: 0x102,
  STREAM_CREATION_ERROR: 0x103,
  CLOSED_CRITICAL_STREAM: 0x104,
  FRAME_UNEXPECTED: 0x105,
  FRAME_ERROR: 0x106,
  EXCESSIVE_LOAD: 0x107,
  ID_ERROR: 0x108,
  SETTINGS_ERROR: 0x109,
  MISSING_SETTINGS: 0x10a,
  REQUEST_REJECTED: 0x10b,
  REQUEST_CANCELLED: 0x10c,
  REQUEST_INCOMPLETE: 0x10d,
  MESSAGE_ERROR: 0x10e,
  CONNECT_ERROR: 0x10f,
  QPACK_DECOMPRESSION_FAILED: 0x200,
  QPACK_ENCODER_STREAM_ERROR: 0x201,
  QPACK_DECODER_STREAM_ERROR: 0x202,
  WT_BUFFERED_STREAM_REJECTED: 0x3994bd84,
  WT_SESSION_GONE: 0x170d7b68,
} as const;

export type H3CodeName = keyof typeof H3_CODES;

/** A protocol violation found while decoding; `h3Code` is what goes on the wire. */
export class H3Error extends Error {
  override readonly name = 'H3Error';
  readonly h3Code: number;
  readonly codeName: H3CodeName;

  constructor(codeName: H3CodeName, message: string) {
    super(message);
    this.codeName = codeName;
    this.h3Code = H3_CODES[codeName];
  }

  static frame(message: string): H3Error {
    return new H3Error('FRAME_ERROR', message);
  }
  static unexpected(message: string): H3Error {
    return new H3Error('FRAME_UNEXPECTED', message);
  }
  static excessive(message: string): H3Error {
    return new H3Error('EXCESSIVE_LOAD', message);
  }
  static message(message: string): H3Error {
    return new H3Error('MESSAGE_ERROR', message);
  }
  static qpack(message: string): H3Error {
    return new H3Error('QPACK_DECOMPRESSION_FAILED', message);
  }
  static settings(message: string): H3Error {
    return new H3Error('SETTINGS_ERROR', message);
  }
  static id(message: string): H3Error {
    return new H3Error('ID_ERROR', message);
  }
}

export function isH3Error(e: unknown): e is H3Error {
  return e instanceof Error && e.name === 'H3Error' && 'h3Code' in e;
}

// WebTransport application error codes ride in a reserved HTTP/3 range that skips GREASE code points
// (draft-ietf-webtrans-http3 section 4.3).
const WT_APP_ERROR_FIRST = 0x52e4a40fa8db;

export function webTransportCodeToH3(code: number): number {
  const c = code >>> 0;
  return WT_APP_ERROR_FIRST + c + Math.floor(c / 0x1e);
}

/** The application code inside an HTTP/3 code, or undefined when it is outside the WebTransport range. */
export function h3ToWebTransportCode(h3: number): number | undefined {
  const last = WT_APP_ERROR_FIRST + 0xffffffff + Math.floor(0xffffffff / 0x1e);
  if (h3 < WT_APP_ERROR_FIRST || h3 > last) return undefined;
  const shifted = h3 - WT_APP_ERROR_FIRST;
  if ((h3 - 0x21) % 0x1f === 0) return undefined; // a GREASE point
  return shifted - Math.floor(shifted / 0x1f);
}
