import { createTokenVerifier } from '@darktower/auth-verifier';
import { timingSafeEqual } from 'node:crypto';
import type { ServiceTokenVerifier } from '../auth.ts';
import { MediaError } from '../errors.ts';
import { asHandlerId } from '../ids.ts';

/** Service tokens are JWTs from the Auth Controller; the peer handler's id is the token's subject. */
export function jwtServiceTokens(options: {
  jwksUrl: string;
  issuer: string;
  audience: string;
}): ServiceTokenVerifier {
  const verifier = createTokenVerifier({
    jwksUrls: [options.jwksUrl],
    issuer: options.issuer,
    audience: options.audience,
  });
  return {
    async verify(token, signal) {
      try {
        const claims = await verifier.verify(token, { signal });
        if (claims.principal !== 'service') throw MediaError.unauthorized('not a service token');
        return { handlerId: asHandlerId(claims.subject) };
      } catch (error) {
        throw MediaError.unauthorized(error instanceof Error ? error.message : 'invalid service token');
      }
    },
  };
}

/** Development only: "svc.<handler id>.<secret>" with a secret shared by all handlers. */
export function sharedSecretServiceTokens(secret: string): ServiceTokenVerifier {
  const expected = Buffer.from(secret);
  return {
    verify(token) {
      const parts = token.split('.');
      const given = Buffer.from(parts[2] ?? '');
      const ok =
        parts.length === 3 &&
        parts[0] === 'svc' &&
        /^[A-Za-z0-9_-]{1,64}$/.test(parts[1] ?? '') &&
        given.length === expected.length &&
        timingSafeEqual(given, expected);
      if (!ok) return Promise.reject(MediaError.unauthorized('invalid service token'));
      return Promise.resolve({ handlerId: asHandlerId(parts[1] ?? '') });
    },
  };
}

/** No service tokens configured: every one is refused (no cascading, no RPC). */
export const refuseServiceTokens: ServiceTokenVerifier = {
  verify: () => Promise.reject(MediaError.unauthorized('service tokens are not configured')),
};
