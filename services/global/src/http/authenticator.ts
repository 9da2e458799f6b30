import { bearerToken, formatScope, hasScope, type Scope, type TokenVerifier } from '@darktower/auth-verifier';
import { decodeJwt } from 'jose';
import { GlobalError } from '../domain/errors.ts';
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

  constructor(verifier: TokenVerifier) {
    this.#verifier = verifier;
  }

  async authenticate(
    header: string | string[] | undefined,
    tenant: string,
    options: AuthenticateOptions,
  ): Promise<Caller> {
    if (header === undefined && options.optional === true) return { kind: 'anonymous' };
    const token = bearerToken(header);
    if (token === undefined) throw GlobalError.unauthorized('A bearer token is required');
    const claims = await this.#verifier.verify(
      token,
      options.signal === undefined
        ? { requiredScopes: options.requiredScopes }
        : { requiredScopes: options.requiredScopes, signal: options.signal },
    );
    const tokenTenant = tenantClaim(token);
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

/** Read after verification: the signature already covers it. */
function tenantClaim(token: string): string {
  const value = decodeJwt(token).tenant;
  return typeof value === 'string' && value !== '' ? value : DEFAULT_TENANT;
}
