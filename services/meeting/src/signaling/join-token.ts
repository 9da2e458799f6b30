// Join tokens: EdDSA JWTs the Global Controller signs for one participant of one meeting (aud "darktower-mc",
// claims meeting_id, sub, display_name, role, jti, exp). Keys come from the GC's JWKS through the shared cache of
// @darktower/auth-verifier; the claims are ours, so verification of them is here.
import { errors, jwtVerify } from 'jose';
import { JwksCache, KID_PATTERN, type KeySource } from '@darktower/auth-verifier';
import { MeetingError } from '../errors.ts';

export interface JoinClaims {
  readonly meetingId: string;
  /** The participant identity (`sub`). */
  readonly subject: string;
  readonly displayName: string;
  readonly role: 'host' | 'participant';
  /** `jti`: a join token is good for one join (or one resume). */
  readonly tokenId: string;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
}

export interface JoinTokenVerifier {
  /** Resolves with the claims, or rejects with MeetingError UNAUTHORIZED. */
  verify(token: string, signal?: AbortSignal): Promise<JoinClaims>;
}

export interface JoinTokenVerifierOptions {
  readonly jwksUrl?: string;
  /** Instead of fetching a JWKS (tests, or a GC verifying its own tokens). */
  readonly keySource?: KeySource;
  readonly issuer: string | readonly string[];
  readonly audience?: string;
  readonly clockToleranceSec?: number;
  readonly maxTokenBytes?: number;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const MAX_TTL_SEC = 10 * 60; // join tokens live 5 min; refuse anything claiming much longer

export function createJoinTokenVerifier(options: JoinTokenVerifierOptions): JoinTokenVerifier {
  const now = options.now ?? Date.now;
  const maxBytes = options.maxTokenBytes ?? 8192;
  let source: KeySource;
  if (options.keySource !== undefined) source = options.keySource;
  else if (options.jwksUrl !== undefined) {
    source = new JwksCache({
      url: options.jwksUrl,
      algorithms: ['EdDSA'],
      cacheTtlMs: 3_600_000,
      unknownKidRefetchMinIntervalMs: 30_000,
      maxStaleMs: 3_600_000,
      fetchTimeoutMs: 5_000,
      maxResponseBytes: 256 * 1024,
      fetch: options.fetch ?? globalThis.fetch,
      now,
    });
  } else throw new TypeError('jwksUrl or keySource is required');
  const audience = options.audience ?? 'darktower-mc';

  return {
    async verify(token, signal) {
      if (typeof token !== 'string' || token.length === 0 || token.length > maxBytes) {
        throw MeetingError.unauthorized();
      }
      const parts = token.split('.');
      if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) throw MeetingError.unauthorized();
      let kid: unknown;
      try {
        const header = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8')) as {
          kid?: unknown;
        };
        kid = header.kid;
      } catch (cause) {
        throw MeetingError.unauthorized(undefined, cause);
      }
      if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) throw MeetingError.unauthorized();
      let keys;
      try {
        keys = await source.resolve(kid, signal);
      } catch (cause) {
        throw MeetingError.unauthorized('Join token keys unavailable', cause);
      }
      for (const { key } of keys) {
        try {
          const { payload } = await jwtVerify(token, key, {
            algorithms: ['EdDSA'],
            issuer: typeof options.issuer === 'string' ? options.issuer : [...options.issuer],
            audience,
            clockTolerance: options.clockToleranceSec ?? 30,
            currentDate: new Date(now()),
            requiredClaims: ['sub', 'exp', 'jti', 'meeting_id'],
          });
          const { sub, exp, jti } = payload;
          const meetingId = payload.meeting_id;
          const role = payload.role ?? 'participant';
          const displayName = payload.display_name ?? '';
          if (
            typeof sub !== 'string' ||
            sub.length === 0 ||
            sub.length > 256 ||
            typeof jti !== 'string' ||
            jti.length === 0 ||
            jti.length > 256 ||
            typeof exp !== 'number' ||
            exp - now() / 1000 > MAX_TTL_SEC ||
            typeof meetingId !== 'string' ||
            meetingId.length === 0 ||
            meetingId.length > 256 ||
            (role !== 'host' && role !== 'participant') ||
            typeof displayName !== 'string' ||
            displayName.length > 256
          ) {
            throw MeetingError.unauthorized('Join token claims are invalid');
          }
          return { meetingId, subject: sub, displayName, role, tokenId: jti, expiresAt: exp };
        } catch (cause) {
          if (cause instanceof errors.JWSSignatureVerificationFailed) continue; // maybe another key of this kid
          if (cause instanceof MeetingError) throw cause;
          throw MeetingError.unauthorized(undefined, cause);
        }
      }
      throw MeetingError.unauthorized();
    },
  };
}
