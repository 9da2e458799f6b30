// Where the handler's outgoing service tokens come from: a static token (MH_SERVICE_TOKEN, tests and development)
// or the OAuth client credentials grant against the Auth Controller (MH_CLIENT_ID / MH_CLIENT_SECRET /
// AUTH_TOKEN_URL), refreshed before it expires. No scope is asked for: the token carries the client's registered
// scopes (the MC needs service.write.gc and service.write.mh, a handler service.write.mc and service.write.mh).
import { clientCredentialsTokenSource, type ServiceTokenSource } from '@darktower/auth-verifier';
import { ConfigError } from '@darktower/service-kit';
import type { MediaConfig } from './config.ts';

/** Undefined: calls go out without a token (a peer that requires one refuses them). */
export function outgoingServiceToken(
  config: Pick<MediaConfig, 'serviceToken' | 'authTokenUrl' | 'clientId' | 'clientSecret'>,
  fetchImpl?: typeof fetch,
): ServiceTokenSource | undefined {
  if (config.serviceToken !== undefined) {
    const token = config.serviceToken;
    return () => Promise.resolve(token.reveal());
  }
  const { authTokenUrl, clientId, clientSecret } = config;
  const set = [authTokenUrl, clientId, clientSecret].filter((v) => v !== undefined).length;
  if (set === 0) return undefined;
  if (authTokenUrl === undefined || clientId === undefined || clientSecret === undefined) {
    throw ConfigError.invalid([
      {
        key: 'clientId',
        origin: 'MH_CLIENT_ID',
        reason: 'AUTH_TOKEN_URL, MH_CLIENT_ID and MH_CLIENT_SECRET must be set together',
      },
    ]);
  }
  return clientCredentialsTokenSource({
    tokenUrl: authTokenUrl,
    clientId,
    clientSecret: clientSecret.reveal(),
    ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
  });
}
