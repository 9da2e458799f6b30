// The one error type of the e2ee package. Guards check `code`, never instanceof.
export type SframeErrorCode =
  | 'MALFORMED_HEADER'
  | 'UNKNOWN_KID'
  | 'AUTH_FAILED'
  | 'REPLAY'
  | 'COUNTER_EXHAUSTED'
  | 'UNSUPPORTED_SUITE'
  | 'BAD_KEY';

export class SframeError extends Error {
  readonly code: SframeErrorCode;

  private constructor(code: SframeErrorCode, message: string, options?: ErrorOptions) {
    super(`sframe: ${message}`, options);
    this.name = 'SframeError';
    this.code = code;
  }

  static malformedHeader(why: string): SframeError {
    return new SframeError('MALFORMED_HEADER', `malformed header: ${why}`);
  }
  static unknownKid(kid: bigint): SframeError {
    return new SframeError('UNKNOWN_KID', `no key for KID ${kid.toString()}`);
  }
  static authFailed(cause?: unknown): SframeError {
    return new SframeError('AUTH_FAILED', 'authentication failed', { cause });
  }
  static replay(kid: bigint, ctr: bigint): SframeError {
    return new SframeError(
      'REPLAY',
      `counter ${ctr.toString()} for KID ${kid.toString()} already seen or too old`,
    );
  }
  static counterExhausted(kid: bigint): SframeError {
    return new SframeError('COUNTER_EXHAUSTED', `counter space exhausted for KID ${kid.toString()}`);
  }
  static unsupportedSuite(suite: number): SframeError {
    return new SframeError('UNSUPPORTED_SUITE', `cipher suite ${suite} is not supported`);
  }
  static badKey(why: string): SframeError {
    return new SframeError('BAD_KEY', why);
  }
}

export function isSframeError(error: unknown, code?: SframeErrorCode): error is SframeError {
  if (typeof error !== 'object' || error === null || (error as { name?: unknown }).name !== 'SframeError')
    return false;
  return code === undefined || (error as { code?: unknown }).code === code;
}
