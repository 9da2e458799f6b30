/** RFC 6749 section 5.2 error codes (plus 6750's for bearer use). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'temporarily_unavailable'
  | 'server_error';

/** An error answered as `{ "error": code, "error_description": ... }` on the OAuth token endpoints. */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  readonly code: OAuthErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(code: OAuthErrorCode, description: string, status = 400, headers: Record<string, string> = {}) {
    super(description);
    this.code = code;
    this.status = status;
    this.headers = headers;
  }

  static invalidRequest(description: string, status = 400): OAuthError {
    return new OAuthError('invalid_request', description, status);
  }
  /** 401; with the Basic challenge when the client tried HTTP Basic (RFC 6749 section 5.2). */
  static invalidClient(usedBasic: boolean): OAuthError {
    return new OAuthError(
      'invalid_client',
      'client authentication failed',
      401,
      usedBasic ? { 'www-authenticate': 'Basic realm="darktower"' } : {},
    );
  }
  static invalidGrant(description = 'invalid username or password'): OAuthError {
    return new OAuthError('invalid_grant', description, 400);
  }
  static unsupportedGrantType(): OAuthError {
    return new OAuthError('unsupported_grant_type', 'only client_credentials is supported here', 400);
  }
  static invalidScope(): OAuthError {
    return new OAuthError('invalid_scope', 'requested scope is invalid or not granted to this client', 400);
  }
  static rateLimited(retryAfterSec: number): OAuthError {
    return new OAuthError('temporarily_unavailable', 'too many attempts; try again later', 429, {
      'retry-after': String(retryAfterSec),
    });
  }

  toBody(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.message };
  }
}

export function isOAuthError(value: unknown): value is OAuthError {
  return typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'OAuthError';
}
