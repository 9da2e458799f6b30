/** The wire error codes of api-contracts.md "Error Handling". */
export const HTTP_ERROR_CODES = [
  'INVALID_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'INTERNAL_ERROR',
] as const;

export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[number];

/** The JSON body of every error response: `{ "error": { "code", "message", "details" } }`. */
export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

const DEFAULT_STATUS: Record<HttpErrorCode, number> = {
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
};

export interface HttpErrorOptions {
  status?: number;
  details?: Record<string, unknown>;
  /** Response headers, e.g. `Retry-After` or `WWW-Authenticate`. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * An error a route handler throws to answer with an api-contracts.md error body. The message of a 4xx goes to the
 * client; a 5xx always answers `Internal server error` (its message and cause are only logged).
 * Services may use their own codes (`MEETING_NOT_FOUND`) through the constructor.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(code: HttpErrorCode | (string & {}), message: string, options: HttpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? (DEFAULT_STATUS as Partial<Record<string, number>>)[code] ?? 500;
    this.details = options.details ?? {};
    this.headers = options.headers ?? {};
  }

  static invalidRequest(message = 'Invalid request', details?: Record<string, unknown>): HttpError {
    return new HttpError('INVALID_REQUEST', message, details === undefined ? {} : { details });
  }

  static unauthorized(message = 'Unauthorized'): HttpError {
    return new HttpError('UNAUTHORIZED', message);
  }

  static forbidden(message = 'Forbidden'): HttpError {
    return new HttpError('FORBIDDEN', message);
  }

  static notFound(message = 'Not found'): HttpError {
    return new HttpError('NOT_FOUND', message);
  }

  static conflict(message = 'Conflict', details?: Record<string, unknown>): HttpError {
    return new HttpError('CONFLICT', message, details === undefined ? {} : { details });
  }

  /** 429 with `Retry-After` in whole seconds when given. */
  static rateLimited(message = 'Too many requests', retryAfterSeconds?: number): HttpError {
    const headers =
      retryAfterSeconds === undefined
        ? undefined
        : { 'retry-after': String(Math.max(0, Math.ceil(retryAfterSeconds))) };
    return new HttpError('RATE_LIMITED', message, headers === undefined ? {} : { headers });
  }

  static internal(message = 'Internal server error', cause?: unknown): HttpError {
    return new HttpError('INTERNAL_ERROR', message, cause === undefined ? {} : { cause });
  }

  /** The response body; 5xx messages and details are replaced so internals never leave the process. */
  toBody(): ErrorBody {
    if (this.status >= 500)
      return { error: { code: this.code, message: 'Internal server error', details: {} } };
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/**
 * True when `value` is an {@link HttpError} (optionally with `code`). Checks the shape and code, not `instanceof`,
 * so errors from another copy of this package count too.
 */
export function isHttpError(value: unknown, code?: string): value is HttpError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<HttpError>;
  if (v.name !== 'HttpError' || typeof v.code !== 'string' || typeof v.status !== 'number') return false;
  return code === undefined || v.code === code;
}
