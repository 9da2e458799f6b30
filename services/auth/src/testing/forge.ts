import { createHmac, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { TEST_AUDIENCE, TEST_ISSUER } from './harness.ts';

export function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export interface ForgeOptions {
  readonly kid: string;
  readonly key: KeyObject;
  readonly nowSec: number;
  readonly iss?: string;
  readonly aud?: string;
  readonly ttlSec?: number;
  readonly nbfSec?: number;
  readonly scope?: string;
}

/** Signs an admin-scoped token with the given key (a real key, or a retired one). */
export function signWith(o: ForgeOptions): Promise<string> {
  return new SignJWT({ principal: 'service', scope: o.scope ?? 'service.admin.ac' })
    .setProtectedHeader({ alg: 'EdDSA', kid: o.kid, typ: 'JWT' })
    .setIssuer(o.iss ?? TEST_ISSUER)
    .setAudience(o.aud ?? TEST_AUDIENCE)
    .setSubject('svc_attacker_attacker')
    .setIssuedAt(o.nowSec)
    .setNotBefore(o.nbfSec ?? o.nowSec)
    .setExpirationTime(o.nowSec + (o.ttlSec ?? 600))
    .setJti(randomUUID())
    .sign(o.key);
}

export function adminClaims(nowSec: number): Record<string, unknown> {
  return {
    iss: TEST_ISSUER,
    aud: TEST_AUDIENCE,
    sub: 'svc_attacker_attacker',
    iat: nowSec,
    nbf: nowSec,
    exp: nowSec + 600,
    jti: randomUUID(),
    principal: 'service',
    scope: 'service.admin.ac',
  };
}

export function algNoneToken(kid: string, nowSec: number): string {
  return `${b64json({ alg: 'none', kid, typ: 'JWT' })}.${b64json(adminClaims(nowSec))}.`;
}

/** The classic confusion attack: HS256 with the server's public key bytes as the HMAC secret. */
export function hs256WithPublicKey(kid: string, publicX: string, nowSec: number): string {
  const input = `${b64json({ alg: 'HS256', kid, typ: 'JWT' })}.${b64json(adminClaims(nowSec))}`;
  return `${input}.${createHmac('sha256', Buffer.from(publicX, 'base64url')).update(input).digest('base64url')}`;
}
