import type { Principal, Scope } from './scope.ts';

/** The claims of a token the verifier accepted, typed. */
export interface VerifiedClaims {
  readonly issuer: string;
  /** `sub`: a user id for user tokens, a client id for service tokens. */
  readonly subject: string;
  readonly audience: readonly string[];
  readonly principal: Principal;
  readonly scopes: readonly Scope[];
  readonly tokenId: string;
  readonly keyId: string;
  /** Seconds since the epoch, as in the token. */
  readonly issuedAt: number;
  readonly notBefore: number;
  readonly expiresAt: number;
  /** Present on user tokens. */
  readonly username?: string;
}
