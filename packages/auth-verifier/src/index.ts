export { AuthError, isAuthError, type AuthErrorCode, type AuthErrorReason } from './errors.ts';
export {
  COMPONENTS,
  MAX_SCOPES,
  OPERATIONS,
  PRINCIPALS,
  formatScope,
  formatScopeList,
  hasScope,
  isScope,
  missingScopes,
  parseScope,
  parseScopeList,
  scopeSatisfies,
  toScope,
  type Component,
  type Operation,
  type Principal,
  type Scope,
  type ScopeParts,
} from './scope.ts';
export type { VerifiedClaims } from './claims.ts';
export type { KeySource, ResolvedKey } from './key-source.ts';
export { JwksCache, KID_PATTERN, type JwksCacheOptions } from './jwks-cache.ts';
export {
  createTokenVerifier,
  type TokenVerifier,
  type TokenVerifierOptions,
  type VerifyOptions,
} from './token-verifier.ts';
export { bearerToken } from './bearer.ts';
export * from './client-credentials.ts';
