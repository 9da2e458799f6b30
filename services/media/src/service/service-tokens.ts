import { createTokenVerifier, formatScope } from '@darktower/auth-verifier';
import { timingSafeEqual } from 'node:crypto';
import type { ServiceTokenVerifier } from '../auth.ts';
import { isMediaError, MediaError } from '../errors.ts';
import { asHandlerId } from '../ids.ts';

/** Scope a caller needs to command this handler (MediaHandlerService) or to open a cascade into it. */
export const MH_WRITE_SCOPE = formatScope({ principal: 'service', operation: 'write', component: 'mh' });

/**
 * A cascade credential names the dialing handler and carries that handler's own service JWT:
 * `cascade:<handler id>:<jwt>`. The JWT proves the dialer is a trusted service holding `service.write.mh`, and its
 * subject must be the handler id it claims: the link is filed under that id (routes to that handler use it, and a
 * new link replaces an old one of the same id), so a token of one service must not speak for another handler.
 * A handler's id is therefore its service client's id (MH_HANDLER_ID defaults to MH_CLIENT_ID).
 */
const CASCADE_CREDENTIAL = /^cascade:([A-Za-z0-9._-]{1,64}):([\x21-\x7e]{1,8192})$/;

export function cascadeCredential(handlerId: string, jwt: string): string {
  return `cascade:${handlerId}:${jwt}`;
}

/**
 * Service tokens are JWTs from the Auth Controller carrying `service.write.mh`; the caller's identity is the token's
 * subject, or, for a cascade credential, the handler it names.
 */
export function jwtServiceTokens(options: {
  jwksUrls: readonly string[];
  issuers: readonly string[];
  audience: string;
}): ServiceTokenVerifier {
  const verifier = createTokenVerifier({
    jwksUrls: [...options.jwksUrls],
    issuer: [...options.issuers],
    audience: options.audience,
  });
  return {
    async verify(token, signal) {
      const cascade = CASCADE_CREDENTIAL.exec(token);
      const jwt = cascade?.[2] ?? token;
      try {
        const claims = await verifier.verify(jwt, { requiredScopes: [MH_WRITE_SCOPE], signal });
        if (claims.principal !== 'service') throw MediaError.unauthorized('not a service token');
        const claimed = cascade?.[1];
        if (claimed !== undefined && claimed !== claims.subject)
          throw MediaError.unauthorized(
            `cascade credential for handler ${claimed} carries another service's token`,
          );
        return { handlerId: asHandlerId(claims.subject) };
      } catch (error) {
        if (isMediaError(error)) throw error;
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
