/** Error codes on the wire (api-contracts.md, "Error Handling"), plus the few the Global Controller adds. */
export const ERROR_STATUS = {
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  MEETING_NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  CAPACITY_EXCEEDED: 503,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type GlobalErrorCode = keyof typeof ERROR_STATUS;

export interface GlobalErrorOptions {
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/** The one error type of the Global Controller; guards check `code`, not `instanceof`. */
export class GlobalError extends Error {
  override readonly name = 'GlobalError';
  readonly code: GlobalErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: GlobalErrorCode, message: string, options: GlobalErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  static invalidRequest(message: string, details?: Record<string, unknown>): GlobalError {
    return new GlobalError('INVALID_REQUEST', message, details ? { details } : {});
  }
  static unauthorized(message = 'Authentication required', cause?: unknown): GlobalError {
    return new GlobalError('UNAUTHORIZED', message, { cause });
  }
  static forbidden(message: string, details?: Record<string, unknown>): GlobalError {
    return new GlobalError('FORBIDDEN', message, details ? { details } : {});
  }
  static meetingNotFound(idOrCode: string): GlobalError {
    // Never echo unbounded attacker input back.
    const shown = idOrCode.length > 64 ? `${idOrCode.slice(0, 64)}…` : idOrCode;
    return new GlobalError('MEETING_NOT_FOUND', `Meeting ${shown} does not exist`);
  }
  static notFound(message: string): GlobalError {
    return new GlobalError('NOT_FOUND', message);
  }
  static conflict(message: string, details?: Record<string, unknown>): GlobalError {
    return new GlobalError('CONFLICT', message, details ? { details } : {});
  }
  static capacityExceeded(message: string, details?: Record<string, unknown>): GlobalError {
    return new GlobalError('CAPACITY_EXCEEDED', message, details ? { details } : {});
  }
  static rateLimited(retryAfterSeconds: number): GlobalError {
    return new GlobalError('RATE_LIMITED', 'Too many requests', {
      details: { retry_after_seconds: retryAfterSeconds },
    });
  }
  static unavailable(message: string, cause?: unknown): GlobalError {
    return new GlobalError('SERVICE_UNAVAILABLE', message, { cause });
  }
  static internal(message = 'Internal server error', cause?: unknown): GlobalError {
    return new GlobalError('INTERNAL_ERROR', message, { cause });
  }
}

export function isGlobalError(value: unknown): value is GlobalError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { name?: unknown }).name === 'GlobalError' &&
    typeof (value as { code?: unknown }).code === 'string' &&
    (value as { code: string }).code in ERROR_STATUS
  );
}
