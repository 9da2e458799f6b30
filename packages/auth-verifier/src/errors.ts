/**
 * Why a token was refused. Stable strings: they go into logs, metrics labels and the `details.reason` of
 * `{ error: { code, message, details } }` responses.
 */
export type AuthErrorReason =
  | 'missing'
  | 'malformed'
  | 'oversized'
  | 'alg_not_allowed'
  | 'unknown_kid'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_audience'
  | 'wrong_issuer'
  | 'jwks_unavailable'
  | 'insufficient_scope';

/** Wire codes of api-contracts.md: 401 for a token we cannot trust, 403 for a trusted token lacking a scope. */
export type AuthErrorCode = 'UNAUTHORIZED' | 'FORBIDDEN';

export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly code: AuthErrorCode;
  readonly reason: AuthErrorReason;

  private constructor(code: AuthErrorCode, reason: AuthErrorReason, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.reason = reason;
  }

  /** HTTP status that matches the code. */
  get status(): 401 | 403 {
    return this.code === 'FORBIDDEN' ? 403 : 401;
  }

  static missing(): AuthError {
    return new AuthError('UNAUTHORIZED', 'missing', 'no bearer token');
  }
  static malformed(detail: string, cause?: unknown): AuthError {
    return new AuthError('UNAUTHORIZED', 'malformed', `malformed token: ${detail}`, cause);
  }
  static oversized(bytes: number, max: number): AuthError {
    return new AuthError('UNAUTHORIZED', 'oversized', `token of ${bytes} bytes exceeds ${max}`);
  }
  static algNotAllowed(): AuthError {
    return new AuthError('UNAUTHORIZED', 'alg_not_allowed', 'token algorithm not allowed');
  }
  static unknownKid(): AuthError {
    return new AuthError('UNAUTHORIZED', 'unknown_kid', 'token signed with an unknown key');
  }
  static badSignature(cause?: unknown): AuthError {
    return new AuthError('UNAUTHORIZED', 'bad_signature', 'token signature invalid', cause);
  }
  static expired(cause?: unknown): AuthError {
    return new AuthError('UNAUTHORIZED', 'expired', 'token expired', cause);
  }
  static notYetValid(cause?: unknown): AuthError {
    return new AuthError('UNAUTHORIZED', 'not_yet_valid', 'token not yet valid', cause);
  }
  static wrongAudience(cause?: unknown): AuthError {
    return new AuthError('UNAUTHORIZED', 'wrong_audience', 'token audience not accepted', cause);
  }
  static wrongIssuer(cause?: unknown): AuthError {
    return new AuthError('UNAUTHORIZED', 'wrong_issuer', 'token issuer not trusted', cause);
  }
  static jwksUnavailable(cause?: unknown): AuthError {
    return new AuthError('UNAUTHORIZED', 'jwks_unavailable', 'no signing keys could be loaded', cause);
  }
  static insufficientScope(missing: readonly string[]): AuthError {
    return new AuthError('FORBIDDEN', 'insufficient_scope', `missing scope: ${missing.join(' ')}`);
  }
}

/** Guard on the code, not on `instanceof` (two copies of this package must still agree). */
export function isAuthError(value: unknown): value is AuthError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { name?: unknown; code?: unknown; reason?: unknown };
  return (
    v.name === 'AuthError' &&
    (v.code === 'UNAUTHORIZED' || v.code === 'FORBIDDEN') &&
    typeof v.reason === 'string'
  );
}
