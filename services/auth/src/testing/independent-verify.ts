import { createPublicKey } from 'node:crypto';
import { createVerifier } from 'fast-jwt';
import { TEST_AUDIENCE, TEST_ISSUER } from './harness.ts';
import type { Inject } from './http-helpers.ts';

/** Verifies one of our tokens with fast-jwt (an independent JOSE implementation) against the served JWKS. */
export async function verifyWithFastJwt(
  inject: Inject,
  token: string,
  nowMs: number,
): Promise<{ header: Record<string, unknown>; payload: Record<string, unknown> }> {
  const kid = (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid?: string })
    .kid;
  const jwks = (await inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{
    keys: { kid: string }[];
  }>();
  const jwk = jwks.keys.find((k) => k.kid === kid);
  if (jwk === undefined) throw new Error(`kid ${String(kid)} not in the JWKS`);
  const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  const verify = createVerifier({
    key: pem,
    algorithms: ['EdDSA'],
    allowedIss: TEST_ISSUER,
    allowedAud: TEST_AUDIENCE,
    clockTimestamp: nowMs,
    complete: true,
  });
  return verify(token) as { header: Record<string, unknown>; payload: Record<string, unknown> };
}
