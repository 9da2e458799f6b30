import { OAuthError } from './oauth-error.ts';

export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly usedBasic: boolean;
}

const MAX_HEADER = 1024;

/**
 * RFC 6749 section 2.3.1: HTTP Basic (each part form-urlencoded, then base64) or `client_id`/`client_secret` in the
 * body; using both is an error.
 */
export function clientCredentials(
  authorization: string | undefined,
  body: Readonly<Record<string, unknown>>,
): ClientCredentials {
  const inBody = body.client_id !== undefined || body.client_secret !== undefined;
  if (authorization !== undefined && /^basic /i.test(authorization)) {
    if (inBody) throw OAuthError.invalidRequest('use one client authentication method, not two');
    if (authorization.length > MAX_HEADER) throw OAuthError.invalidClient(true);
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw OAuthError.invalidClient(true);
    try {
      return {
        clientId: decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' ')),
        clientSecret: decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' ')),
        usedBasic: true,
      };
    } catch {
      throw OAuthError.invalidClient(true);
    }
  }
  const { client_id: id, client_secret: secret } = body;
  if (typeof id !== 'string' || typeof secret !== 'string' || id.length === 0 || secret.length === 0) {
    throw OAuthError.invalidClient(false);
  }
  return { clientId: id, clientSecret: secret, usedBasic: false };
}
