import { AuthError } from './errors.ts';

export interface ClaimsCheck {
  readonly issuers: readonly string[];
  readonly audiences: readonly string[];
  readonly nowSec: number;
  readonly toleranceSec: number;
}

/** A payload whose registered claims are present, well typed and acceptable now. */
export interface CheckedPayload {
  readonly iss: string;
  readonly sub: string;
  readonly aud: readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly nbf: number;
  readonly jti: string;
  readonly [claim: string]: unknown;
}

const MAX_AUDIENCES = 16;

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * RFC 7519 section 4.1 checks, all claims required: iss in the trusted list, aud intersecting ours, exp in the
 * future, nbf and iat not in the future (each with the clock tolerance), sub and jti present.
 */
export function checkClaims(payload: unknown, c: ClaimsCheck): CheckedPayload {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw AuthError.malformed('payload is not an object');
  }
  const p = payload as Record<string, unknown>;
  const { iss, sub, aud, exp, iat, nbf, jti } = p;
  if (typeof iss !== 'string') throw AuthError.malformed('no iss');
  if (typeof sub !== 'string' || sub.length === 0) throw AuthError.malformed('no sub');
  if (typeof jti !== 'string' || jti.length === 0) throw AuthError.malformed('no jti');
  const audience = typeof aud === 'string' ? [aud] : aud;
  if (!Array.isArray(audience) || audience.length === 0 || audience.length > MAX_AUDIENCES) {
    throw AuthError.malformed('no aud');
  }
  if (!audience.every((a): a is string => typeof a === 'string')) throw AuthError.malformed('aud');
  if (!isTime(exp) || !isTime(iat) || !isTime(nbf)) throw AuthError.malformed('times');
  if (!c.issuers.includes(iss)) throw AuthError.wrongIssuer();
  if (!audience.some((a) => c.audiences.includes(a))) throw AuthError.wrongAudience();
  if (exp <= c.nowSec - c.toleranceSec) throw AuthError.expired();
  if (nbf > c.nowSec + c.toleranceSec || iat > c.nowSec + c.toleranceSec) throw AuthError.notYetValid();
  return { ...p, iss, sub, aud: audience, exp, iat, nbf, jti };
}
