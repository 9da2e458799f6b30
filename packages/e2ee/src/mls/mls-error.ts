// Typed errors of the MLS half of the e2ee package. Guards check `code`, never instanceof.
export type MlsErrorCode =
  /** Bytes that do not decode as the expected MLS message (garbage, truncated, trailing bytes, too large). */
  | 'MALFORMED_MESSAGE'
  /** A well-formed MLS message that the group refuses (bad signature, wrong group, failed validation). */
  | 'REJECTED_MESSAGE'
  /** A commit for an epoch other than the member's current one. */
  | 'WRONG_EPOCH'
  /** An operation that needs group membership on a member without a group (or the reverse). */
  | 'NOT_IN_GROUP'
  | 'ALREADY_IN_GROUP'
  /** This member was removed from the group; it holds no keys of later epochs. */
  | 'REMOVED'
  /** A Welcome that none of this member's key packages can open. */
  | 'NO_MATCHING_KEY_PACKAGE'
  /** A leaf index or identity that is not a member of the group. */
  | 'UNKNOWN_MEMBER'
  /** KID layout (epoch bits E, index bits S) that does not fit 64 bits, or a value outside it. */
  | 'BAD_KID_LAYOUT'
  | 'CLOSED';

export class MlsError extends Error {
  readonly code: MlsErrorCode;

  private constructor(code: MlsErrorCode, message: string, options?: ErrorOptions) {
    super(`mls: ${message}`, options);
    this.name = 'MlsError';
    this.code = code;
  }

  static malformed(what: string, cause?: unknown): MlsError {
    return new MlsError('MALFORMED_MESSAGE', `malformed ${what}`, { cause });
  }
  static rejected(what: string, cause?: unknown): MlsError {
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    return new MlsError('REJECTED_MESSAGE', `${what} refused${why}`, { cause });
  }
  static wrongEpoch(expected: bigint, got: bigint): MlsError {
    return new MlsError(
      'WRONG_EPOCH',
      `message for epoch ${got.toString()}, group is at epoch ${expected.toString()}`,
    );
  }
  static notInGroup(): MlsError {
    return new MlsError('NOT_IN_GROUP', 'not a member of a group');
  }
  static alreadyInGroup(): MlsError {
    return new MlsError('ALREADY_IN_GROUP', 'already a member of a group');
  }
  static removed(): MlsError {
    return new MlsError('REMOVED', 'removed from the group');
  }
  static noMatchingKeyPackage(cause?: unknown): MlsError {
    return new MlsError('NO_MATCHING_KEY_PACKAGE', 'welcome does not match any of our key packages', {
      cause,
    });
  }
  static unknownMember(who: string): MlsError {
    return new MlsError('UNKNOWN_MEMBER', `no member ${who}`);
  }
  static badKidLayout(why: string): MlsError {
    return new MlsError('BAD_KID_LAYOUT', why);
  }
  static closed(): MlsError {
    return new MlsError('CLOSED', 'closed');
  }
}

export function isMlsError(error: unknown, code?: MlsErrorCode): error is MlsError {
  if (typeof error !== 'object' || error === null || (error as { name?: unknown }).name !== 'MlsError')
    return false;
  return code === undefined || (error as { code?: unknown }).code === code;
}
