import {
  AuthError,
  bearerToken,
  isAuthError,
  formatScope,
  hasScope,
  missingScopes,
  type Scope,
  type TokenVerifier,
  type VerifiedClaims,
} from '@darktower/auth-verifier';
import { decodeJwt } from 'jose';
import { GlobalError, isGlobalError } from '../domain/errors.ts';
import type { Caller } from '../meetings/caller.ts';
import { DEFAULT_TENANT } from '../tenants/tenant-host.ts';

export const SCOPES = {
  userRead: formatScope({ principal: 'user', operation: 'read', component: 'gc' }),
  userWrite: formatScope({ principal: 'user', operation: 'write', component: 'gc' }),
  userAdmin: formatScope({ principal: 'user', operation: 'admin', component: 'gc' }),
  serviceWrite: formatScope({ principal: 'service', operation: 'write', component: 'gc' }),
} as const;

export interface AuthenticateOptions {
  readonly requiredScopes: readonly Scope[];
  /** No Authorization header gives an anonymous caller instead of UNAUTHORIZED. */
  readonly optional?: boolean;
  readonly signal?: AbortSignal;
}

/**
 * Bearer tokens through the shared verifier (Auth Controller JWKS), plus the tenant binding: a token carrying a
 * `tenant` claim is only good on that tenant's host; a token without one belongs to the default tenant.
 */
export class Authenticator {
  readonly #verifier: TokenVerifier;
  readonly #cache = new Map<string, { claims: VerifiedClaims; tenant: string; until: number }>();
  readonly #now: () => number;
  readonly #onFailure: (reason: AuthFailureReason) => void;

  constructor(
    verifier: TokenVerifier,
    options: { now?: () => number; onFailure?: (reason: AuthFailureReason) => void } = {},
  ) {
    this.#verifier = verifier;
    this.#now = options.now ?? Date.now;
    this.#onFailure = options.onFailure ?? (() => undefined);
  }

  /** Reports a refusal by its stable reason (a metrics label: a closed set), then rethrows it. */
  #refused(error: unknown): never {
    this.#onFailure(failureReason(error));
    throw error;
  }

  /**
   * Verified tokens are remembered (until expiry, at most 60 s, 10 000 of them) so a client's repeated calls cost
   * one signature check; scopes are still checked on every call against the route's requirement.
   */
  async #verify(
    token: string,
    scopes: readonly Scope[],
    signal?: AbortSignal,
  ): Promise<{ claims: VerifiedClaims; tenant: string }> {
    const now = this.#now();
    const hit = this.#cache.get(token);
    if (hit !== undefined && hit.until > now) {
      const missing = missingScopes(hit.claims.scopes, scopes);
      if (missing.length > 0) throw AuthError.insufficientScope(missing);
      return hit;
    }
    const claims = await this.#verifier.verify(
      token,
      signal === undefined ? { requiredScopes: scopes } : { requiredScopes: scopes, signal },
    );
    const entry = {
      claims,
      tenant: tenantClaim(token),
      until: Math.min(claims.expiresAt * 1000, now + 60_000),
    };
    if (this.#cache.size >= 10_000) this.#cache.clear();
    this.#cache.set(token, entry);
    return entry;
  }

  async authenticate(
    header: string | string[] | undefined,
    tenant: string,
    options: AuthenticateOptions,
  ): Promise<Caller> {
    try {
      return await this.#authenticate(header, tenant, options);
    } catch (error) {
      this.#refused(error);
    }
  }

  async #authenticate(
    header: string | string[] | undefined,
    tenant: string,
    options: AuthenticateOptions,
  ): Promise<Caller> {
    if (header === undefined && options.optional === true) return { kind: 'anonymous' };
    const token = bearerToken(header);
    if (token === undefined) throw GlobalError.unauthorized('A bearer token is required');
    const { claims, tenant: tokenTenant } = await this.#verify(token, options.requiredScopes, options.signal);
    if (tokenTenant !== tenant) {
      throw GlobalError.forbidden('Token was issued for another tenant', { reason: 'wrong_tenant' });
    }
    return {
      kind: 'user',
      subject: claims.subject,
      username: claims.username,
      isAdmin: hasScope(claims.scopes, SCOPES.userAdmin),
    };
  }

  /** Service callers (Meeting Controllers over RPC): returns the verified client id. */
  async authenticateService(header: string | null | undefined, signal?: AbortSignal): Promise<string> {
    try {
      return await this.#authenticateService(header, signal);
    } catch (error) {
      this.#refused(error);
    }
  }

  async #authenticateService(header: string | null | undefined, signal?: AbortSignal): Promise<string> {
    const token = bearerToken(header ?? undefined);
    if (token === undefined) throw GlobalError.unauthorized('A service bearer token is required');
    const claims = await this.#verifier.verify(
      token,
      signal === undefined
        ? { requiredScopes: [SCOPES.serviceWrite] }
        : { requiredScopes: [SCOPES.serviceWrite], signal },
    );
    if (claims.principal !== 'service') throw GlobalError.forbidden('A service token is required');
    return claims.subject;
  }
}

/** Why a bearer token was refused: the verifier's reasons plus ours. Never user input. */
export const AUTH_FAILURE_REASONS = [
  'missing',
  'malformed',
  'oversized',
  'alg_not_allowed',
  'unknown_kid',
  'bad_signature',
  'expired',
  'not_yet_valid',
  'wrong_audience',
  'wrong_issuer',
  'jwks_unavailable',
  'insufficient_scope',
  'wrong_tenant',
  'not_a_service',
  'other',
] as const;
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

function failureReason(error: unknown): AuthFailureReason {
  const known = (reason: string): AuthFailureReason =>
    (AUTH_FAILURE_REASONS as readonly string[]).includes(reason) ? (reason as AuthFailureReason) : 'other';
  if (isAuthError(error)) return known(error.reason);
  if (isGlobalError(error)) {
    if (error.code === 'UNAUTHORIZED') return 'missing';
    const reason = error.details.reason;
    return reason === 'wrong_tenant' ? 'wrong_tenant' : 'not_a_service';
  }
  return 'other';
}

/** Read after verification: the signature already covers it. */
function tenantClaim(token: string): string {
  const value = decodeJwt(token).tenant;
  return typeof value === 'string' && value !== '' ? value : DEFAULT_TENANT;
}
