import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { formatScopeList, type Principal, type Scope } from '@darktower/auth-verifier';
import type { SigningKey } from '../keys/key-manager.ts';

export interface TokenIssuerOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly userTokenTtlSec: number;
  readonly serviceTokenTtlSec: number;
  readonly signingKey: () => SigningKey;
  readonly now: () => number;
}

export interface IssuedToken {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
  readonly jti: string;
  readonly kid: string;
  readonly scopes: readonly Scope[];
}

export interface IssueRequest {
  readonly principal: Principal;
  /** User id or client id. */
  readonly subject: string;
  readonly scopes: readonly Scope[];
  /** Extra non-secret claims (user tokens carry `username`). */
  readonly claims?: Readonly<Record<string, string>>;
}

/** Signs access tokens: EdDSA over Ed25519, with iss, sub, aud, exp, iat, nbf, jti, kid and scope. */
export class TokenIssuer {
  readonly #o: TokenIssuerOptions;

  constructor(options: TokenIssuerOptions) {
    this.#o = options;
  }

  async issue(req: IssueRequest): Promise<IssuedToken> {
    const { kid, privateKey } = this.#o.signingKey();
    const ttl = req.principal === 'user' ? this.#o.userTokenTtlSec : this.#o.serviceTokenTtlSec;
    const now = Math.floor(this.#o.now() / 1000);
    const jti = randomUUID();
    const accessToken = await new SignJWT({
      ...req.claims,
      principal: req.principal,
      scope: formatScopeList(req.scopes),
    })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
      .setIssuer(this.#o.issuer)
      .setSubject(req.subject)
      .setAudience(this.#o.audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttl)
      .setJti(jti)
      .sign(privateKey);
    return { accessToken, tokenType: 'Bearer', expiresIn: ttl, jti, kid, scopes: req.scopes };
  }
}
