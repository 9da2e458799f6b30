import type { VerifiedClaims } from './claims.ts';
import { checkClaims, type CheckedPayload } from './claims-check.ts';
import { AuthError } from './errors.ts';
import { verifyEd25519 } from './signature.ts';
import { JwksCache, KID_PATTERN } from './jwks-cache.ts';
import type { KeySource, ResolvedKey } from './key-source.ts';
import { missingScopes, parseScopeList, parseScope, type Scope } from './scope.ts';

export interface TokenVerifierOptions {
  /** JWKS endpoints of every trusted cluster (federation). Ignored when `keySource` is given. */
  readonly jwksUrls?: readonly string[];
  /** Use these keys instead of fetching JWKS (the Auth Controller verifying its own tokens). */
  readonly keySource?: KeySource;
  /** Accepted `iss` values (one per trusted cluster). */
  readonly issuer: string | readonly string[];
  /** The `aud` this service accepts. */
  readonly audience: string | readonly string[];
  /** Pinned algorithms; default `['EdDSA']`. `none` and HMAC algorithms are never accepted. */
  readonly algorithms?: readonly string[];
  /** Default 1 hour. */
  readonly cacheTtlMs?: number;
  /** Default 30 s. */
  readonly unknownKidRefetchMinIntervalMs?: number;
  /** How long a cached key set stays usable past its TTL while its endpoint fails. Default: one TTL. */
  readonly maxStaleMs?: number;
  /** Default 8192 bytes. */
  readonly maxTokenBytes?: number;
  /** Allowed clock skew for exp/nbf, seconds. Default 30. */
  readonly clockToleranceSec?: number;
  readonly fetchTimeoutMs?: number;
  readonly maxJwksBytes?: number;
  readonly fetch?: typeof fetch;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now?: () => number;
}

export interface VerifyOptions {
  /** Every one of these must be satisfied (see `hasScope`), else FORBIDDEN insufficient_scope. */
  readonly requiredScopes?: readonly Scope[];
  readonly signal?: AbortSignal;
}

export interface TokenVerifier {
  verify(token: string, options?: VerifyOptions): Promise<VerifiedClaims>;
  /** Fetch every JWKS now (e.g. at startup); resolves with the URLs that failed. */
  warm(signal?: AbortSignal): Promise<string[]>;
}

/** Ed25519 only: the keys we publish and accept (JwksCache drops every other key type). */
const SAFE_ALGORITHMS = new Set(['EdDSA', 'Ed25519']);
const SEGMENT = /^[A-Za-z0-9_-]*$/;
const MAX_HEADER_CHARS = 1024;

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const algorithms = options.algorithms ?? ['EdDSA'];
  for (const alg of algorithms) {
    // Symmetric or unsigned algorithms with public keys are the classic JWT confusion attacks.
    if (!SAFE_ALGORITHMS.has(alg)) throw new TypeError(`algorithm ${alg} is not allowed for verification`);
  }
  const issuers = typeof options.issuer === 'string' ? [options.issuer] : [...options.issuer];
  const audiences = typeof options.audience === 'string' ? [options.audience] : [...options.audience];
  if (issuers.length === 0) throw new TypeError('at least one issuer is required');
  if (audiences.length === 0) throw new TypeError('at least one audience is required');
  const maxTokenBytes = options.maxTokenBytes ?? 8192;
  const clockTolerance = options.clockToleranceSec ?? 30;
  const now = options.now ?? Date.now;

  let sources: KeySource[];
  let caches: JwksCache[] = [];
  if (options.keySource !== undefined) {
    sources = [options.keySource];
  } else {
    const urls = options.jwksUrls ?? [];
    if (urls.length === 0) throw new TypeError('jwksUrls or keySource is required');
    const ttl = options.cacheTtlMs ?? 3_600_000;
    caches = urls.map(
      (url) =>
        new JwksCache({
          url,
          algorithms,
          cacheTtlMs: ttl,
          unknownKidRefetchMinIntervalMs: options.unknownKidRefetchMinIntervalMs ?? 30_000,
          maxStaleMs: options.maxStaleMs ?? ttl,
          fetchTimeoutMs: options.fetchTimeoutMs ?? 5_000,
          maxResponseBytes: options.maxJwksBytes ?? 256 * 1024,
          fetch: options.fetch ?? globalThis.fetch,
          now,
        }),
    );
    sources = caches;
  }

  async function resolve(kid: string, signal?: AbortSignal): Promise<ResolvedKey[]> {
    const settled = await Promise.allSettled(sources.map((s) => s.resolve(kid, signal)));
    const found: ResolvedKey[] = [];
    let failure: unknown;
    for (const r of settled) {
      if (r.status === 'fulfilled') found.push(...r.value);
      else failure ??= r.reason;
    }
    if (found.length === 0 && failure !== undefined) {
      // No key anywhere and at least one cluster unreachable: say so rather than "unknown kid".
      throw failure instanceof AuthError ? failure : AuthError.jwksUnavailable(failure);
    }
    return found;
  }

  async function verify(token: string, verifyOptions: VerifyOptions = {}): Promise<VerifiedClaims> {
    if (typeof token !== 'string' || token.length === 0) throw AuthError.missing();
    // Length in UTF-16 units bounds the byte length from below; check both without encoding huge strings.
    if (token.length > maxTokenBytes) throw AuthError.oversized(token.length, maxTokenBytes);
    const bytes = Buffer.byteLength(token, 'utf8');
    if (bytes > maxTokenBytes) throw AuthError.oversized(bytes, maxTokenBytes);

    const parts = token.split('.');
    if (parts.length !== 3) throw AuthError.malformed('expected three segments');
    const [h, p, s] = parts as [string, string, string];
    if (h.length === 0 || p.length === 0 || s.length === 0) throw AuthError.malformed('empty segment');
    if (!SEGMENT.test(h) || !SEGMENT.test(p) || !SEGMENT.test(s)) throw AuthError.malformed('not base64url');
    if (h.length > MAX_HEADER_CHARS) throw AuthError.malformed('header too large');

    const header = decodeHeader(h);
    if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) throw AuthError.algNotAllowed();
    if (header.crit !== undefined) throw AuthError.malformed('crit header not supported');
    if (header.typ !== undefined && header.typ !== 'JWT' && header.typ !== 'at+jwt') {
      throw AuthError.malformed('unexpected typ');
    }
    if (typeof header.kid !== 'string' || !KID_PATTERN.test(header.kid)) throw AuthError.malformed('bad kid');
    const kid = header.kid;

    const keys = await resolve(kid, verifyOptions.signal);
    if (keys.length === 0) throw AuthError.unknownKid();

    // Signature first: nothing in the payload is looked at before it is authenticated.
    const signingInput = `${h}.${p}`;
    if (!keys.some(({ key }) => verifyEd25519(key, signingInput, s))) throw AuthError.badSignature();
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    } catch (err) {
      throw AuthError.malformed('payload is not JSON', err);
    }
    const payload = checkClaims(decoded, {
      issuers,
      audiences,
      nowSec: Math.floor(now() / 1000),
      toleranceSec: clockTolerance,
    });

    const claims = toClaims(payload, kid);
    const required = verifyOptions.requiredScopes ?? [];
    if (required.length > 0) {
      const missing = missingScopes(claims.scopes, required);
      if (missing.length > 0) throw AuthError.insufficientScope(missing);
    }
    return claims;
  }

  async function warm(signal?: AbortSignal): Promise<string[]> {
    const results = await Promise.allSettled(caches.map((c) => c.refresh(signal)));
    return caches.filter((_, i) => results[i]?.status === 'rejected').map((c) => c.url);
  }

  return { verify, warm };
}

interface Header {
  alg?: unknown;
  kid?: unknown;
  typ?: unknown;
  crit?: unknown;
}

function decodeHeader(segment: string): Header {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch (err) {
    throw AuthError.malformed('header is not JSON', err);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw AuthError.malformed('header is not an object');
  }
  return parsed;
}

function toClaims(payload: CheckedPayload, kid: string): VerifiedClaims {
  const { iss, sub, aud, exp, iat, nbf, jti } = payload;
  const principal = payload.principal;
  if (principal !== 'user' && principal !== 'service') throw AuthError.malformed('principal');
  const rawScope = payload.scope ?? '';
  if (typeof rawScope !== 'string') throw AuthError.malformed('scope');
  const scopes = parseScopeList(rawScope);
  if (scopes === undefined) throw AuthError.malformed('scope');
  // A user token carrying service scopes (or the reverse) was not minted by us.
  if (scopes.some((sc) => parseScope(sc)?.principal !== principal))
    throw AuthError.malformed('scope principal');
  const username = typeof payload.username === 'string' ? payload.username : undefined;
  const base: VerifiedClaims = {
    issuer: iss,
    subject: sub,
    audience: aud,
    principal,
    scopes,
    tokenId: jti,
    keyId: kid,
    issuedAt: iat,
    notBefore: nbf,
    expiresAt: exp,
  };
  return username === undefined ? base : { ...base, username };
}
