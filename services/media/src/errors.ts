// One error type for the media handler, with stable string codes (api-contracts.md ErrorCode names) and the
// QUIC stream/session error codes of webtransport-flow.md "Media Connection Errors".

export const MEDIA_ERROR_CODES = [
  'INVALID_STREAM_FORMAT',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'CAPACITY_EXCEEDED',
  'RATE_LIMITED',
  'TIMEOUT',
  'INTERNAL_ERROR',
  'INVALID_REQUEST',
  'NOT_FOUND',
  'CONFLICT',
] as const;
export type MediaErrorCode = (typeof MEDIA_ERROR_CODES)[number];

/** Stream-level error codes sent in RESET_STREAM / STOP_SENDING and session close codes. */
export const WIRE_CODE = {
  NO_ERROR: 0x00,
  INVALID_STREAM_FORMAT: 0x01,
  AUTHENTICATION_FAILED: 0x02,
  QUOTA_EXCEEDED: 0x03,
  INTERNAL_ERROR: 0x04,
} as const;
export type WireCode = (typeof WIRE_CODE)[keyof typeof WIRE_CODE];

export function wireCodeOf(code: MediaErrorCode): WireCode {
  switch (code) {
    case 'INVALID_STREAM_FORMAT':
    case 'INVALID_REQUEST':
    case 'NOT_FOUND':
    case 'CONFLICT':
      return WIRE_CODE.INVALID_STREAM_FORMAT;
    case 'UNAUTHORIZED':
    case 'FORBIDDEN':
    case 'TIMEOUT':
      return WIRE_CODE.AUTHENTICATION_FAILED;
    case 'CAPACITY_EXCEEDED':
    case 'RATE_LIMITED':
      return WIRE_CODE.QUOTA_EXCEEDED;
    case 'INTERNAL_ERROR':
      return WIRE_CODE.INTERNAL_ERROR;
    default: {
      const never: never = code;
      return never;
    }
  }
}

export class MediaError extends Error {
  override readonly name = 'MediaError';
  readonly code: MediaErrorCode;

  constructor(code: MediaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  get wireCode(): WireCode {
    return wireCodeOf(this.code);
  }

  static invalidStream(message: string, cause?: unknown): MediaError {
    return new MediaError('INVALID_STREAM_FORMAT', message, { cause });
  }
  static unauthorized(message: string): MediaError {
    return new MediaError('UNAUTHORIZED', message);
  }
  static forbidden(message: string): MediaError {
    return new MediaError('FORBIDDEN', message);
  }
  static capacity(message: string): MediaError {
    return new MediaError('CAPACITY_EXCEEDED', message);
  }
  static timeout(message: string): MediaError {
    return new MediaError('TIMEOUT', message);
  }
  static internal(message: string, cause?: unknown): MediaError {
    return new MediaError('INTERNAL_ERROR', message, { cause });
  }
  static invalidRequest(message: string): MediaError {
    return new MediaError('INVALID_REQUEST', message);
  }
}

export function isMediaError(value: unknown, code?: MediaErrorCode): value is MediaError {
  if (typeof value !== 'object' || value === null) return false;
  const c = (value as { code?: unknown }).code;
  return (
    (value as { name?: unknown }).name === 'MediaError' &&
    (code === undefined ? typeof c === 'string' : c === code)
  );
}
