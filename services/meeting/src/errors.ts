// The one error type of the Meeting Controller. `code` is the name of the wire ErrorCode (api-contracts.md plus the
// codes darktower.v1 appends), so the ErrorMessage sent to a client is derived from it without a second table.

export const MeetingErrorCode = {
  invalidRequest: 'INVALID_REQUEST',
  unauthorized: 'UNAUTHORIZED',
  forbidden: 'FORBIDDEN',
  notFound: 'NOT_FOUND',
  conflict: 'CONFLICT',
  internal: 'INTERNAL_ERROR',
  capacityExceeded: 'CAPACITY_EXCEEDED',
  streamError: 'STREAM_ERROR',
  rateLimited: 'RATE_LIMITED',
  malformedMessage: 'MALFORMED_MESSAGE',
  messageTooLarge: 'MESSAGE_TOO_LARGE',
  unsupportedVersion: 'UNSUPPORTED_VERSION',
  sessionExpired: 'SESSION_EXPIRED',
  unavailable: 'UNAVAILABLE',
  timeout: 'TIMEOUT',
} as const;
export type MeetingErrorCode = (typeof MeetingErrorCode)[keyof typeof MeetingErrorCode];

export class MeetingError extends Error {
  override readonly name = 'MeetingError';
  readonly code: MeetingErrorCode;
  readonly details: Readonly<Record<string, string>>;

  constructor(
    code: MeetingErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, string> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  static invalidRequest(message: string, details?: Record<string, string>): MeetingError {
    return new MeetingError(MeetingErrorCode.invalidRequest, message, { details });
  }
  static unauthorized(message = 'Invalid or expired join token', cause?: unknown): MeetingError {
    return new MeetingError(MeetingErrorCode.unauthorized, message, { cause });
  }
  static forbidden(message: string): MeetingError {
    return new MeetingError(MeetingErrorCode.forbidden, message);
  }
  static notFound(message: string): MeetingError {
    return new MeetingError(MeetingErrorCode.notFound, message);
  }
  static meetingEnded(): MeetingError {
    return new MeetingError(MeetingErrorCode.notFound, 'Meeting has ended');
  }
  static conflict(message: string): MeetingError {
    return new MeetingError(MeetingErrorCode.conflict, message);
  }
  static capacityExceeded(message = 'Meeting has reached maximum participants'): MeetingError {
    return new MeetingError(MeetingErrorCode.capacityExceeded, message);
  }
  static streamError(message: string, cause?: unknown): MeetingError {
    return new MeetingError(MeetingErrorCode.streamError, message, { cause });
  }
  static rateLimited(retryAfterMs: number): MeetingError {
    return new MeetingError(MeetingErrorCode.rateLimited, 'Too many signaling messages', {
      details: { retry_after_ms: String(Math.ceil(retryAfterMs)) },
    });
  }
  static sessionExpired(message = 'Session expired: join again'): MeetingError {
    return new MeetingError(MeetingErrorCode.sessionExpired, message);
  }
  static unavailable(message: string, cause?: unknown): MeetingError {
    return new MeetingError(MeetingErrorCode.unavailable, message, { cause });
  }
  static timeout(message: string): MeetingError {
    return new MeetingError(MeetingErrorCode.timeout, message);
  }
  static unsupportedVersion(version: number): MeetingError {
    return new MeetingError(
      MeetingErrorCode.unsupportedVersion,
      `Signaling protocol version ${version} is not supported`,
    );
  }
  static internal(message: string, cause?: unknown): MeetingError {
    return new MeetingError(MeetingErrorCode.internal, message, { cause });
  }
}

export function isMeetingError(value: unknown, code?: MeetingErrorCode): value is MeetingError {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { name?: unknown; code?: unknown };
  if (candidate.name !== 'MeetingError' || typeof candidate.code !== 'string') return false;
  return code === undefined || candidate.code === code;
}
