import { COMPONENTS, formatScope, parseScope, type Scope } from '@darktower/auth-verifier';

/** What a newly registered user may do: read and write on the user-facing components, never admin. */
export const DEFAULT_USER_SCOPES: readonly Scope[] = (['gc', 'mc', 'mh'] as const).flatMap((component) => [
  formatScope({ principal: 'user', operation: 'read', component }),
  formatScope({ principal: 'user', operation: 'write', component }),
]);

/** The scope that guards /v1/admin/* (a service or user holding `*.admin.ac`). */
export const ADMIN_SCOPES: readonly Scope[] = [
  formatScope({ principal: 'service', operation: 'admin', component: 'ac' }),
  formatScope({ principal: 'user', operation: 'admin', component: 'ac' }),
];

export const ALL_SERVICE_SCOPES: readonly Scope[] = COMPONENTS.flatMap((component) =>
  (['read', 'write', 'admin'] as const).map((operation) =>
    formatScope({ principal: 'service', operation, component }),
  ),
);

/** Service clients may only be registered with service scopes. */
export function onlyServiceScopes(scopes: readonly Scope[]): boolean {
  return scopes.every((s) => parseScope(s)?.principal === 'service');
}

/**
 * RFC 6749 section 3.3: no requested scope means the client's registered scopes; otherwise every requested scope must
 * be registered for the client (exactly; a token never carries more than asked). Undefined means `invalid_scope`.
 */
export function grantScopes(
  registered: readonly Scope[],
  requested: readonly Scope[] | undefined,
): readonly Scope[] | undefined {
  if (requested === undefined || requested.length === 0) return registered;
  return requested.every((r) => registered.includes(r)) ? requested : undefined;
}
