/** Stable codes of the Auth Controller (api-contracts.md codes on the wire). */
export type AuthControllerErrorCode =
  | 'INVALID_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'INTERNAL_ERROR'
  | 'CONFIG_INVALID'
  | 'MASTER_KEY_INVALID'
  | 'NO_SIGNING_KEY';

export class AuthControllerError extends Error {
  override readonly name = 'AuthControllerError';
  readonly code: AuthControllerErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  private constructor(
    code: AuthControllerErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = details;
  }

  static invalidRequest(message: string, details?: Record<string, unknown>): AuthControllerError {
    return new AuthControllerError('INVALID_REQUEST', message, details);
  }
  static conflict(message: string): AuthControllerError {
    return new AuthControllerError('CONFLICT', message);
  }
  static rateLimited(retryAfterSec: number): AuthControllerError {
    return new AuthControllerError('RATE_LIMITED', 'too many attempts; try again later', {
      retry_after: retryAfterSec,
    });
  }
  static config(message: string): AuthControllerError {
    return new AuthControllerError('CONFIG_INVALID', message);
  }
  static masterKey(message: string, cause?: unknown): AuthControllerError {
    return new AuthControllerError('MASTER_KEY_INVALID', message, {}, cause);
  }
  static noSigningKey(): AuthControllerError {
    return new AuthControllerError('NO_SIGNING_KEY', 'no active signing key');
  }
}

export function isAuthControllerError(value: unknown): value is AuthControllerError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { name?: unknown }).name === 'AuthControllerError' &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}
