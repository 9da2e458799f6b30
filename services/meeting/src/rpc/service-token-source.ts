// Where the controller's outgoing service tokens come from: a static token (MC_GC_SERVICE_TOKEN, tests and
// development) or the OAuth client credentials grant against the Auth Controller (MC_CLIENT_ID / MC_CLIENT_SECRET /
// AUTH_TOKEN_URL), refreshed before it expires. No scope is asked for: the token carries the client's registered
// scopes (the MC needs service.write.gc and service.write.mh, a handler service.write.mc and service.write.mh).
import { clientCredentialsTokenSource } from '@darktower/auth-verifier';
import type { MeetingConfig } from '../config.ts';
import { ConfigError } from '@darktower/service-kit';

/** Undefined: calls go out without a token (a peer that requires one refuses them). */
export type OutgoingToken = (() => Promise<string>) | undefined;

export function outgoingServiceToken(
  config: Pick<MeetingConfig, 'gcServiceToken' | 'authTokenUrl' | 'clientId' | 'clientSecret'>,
  fetchImpl?: typeof fetch,
): OutgoingToken {
  if (config.gcServiceToken !== undefined) {
    const token = config.gcServiceToken;
    return () => Promise.resolve(token.reveal());
  }
  const { authTokenUrl, clientId, clientSecret } = config;
  const set = [authTokenUrl, clientId, clientSecret].filter((v) => v !== undefined).length;
  if (set === 0) return undefined;
  if (authTokenUrl === undefined || clientId === undefined || clientSecret === undefined) {
    throw ConfigError.invalid([
      {
        key: 'clientId',
        origin: 'MC_CLIENT_ID',
        reason: 'AUTH_TOKEN_URL, MC_CLIENT_ID and MC_CLIENT_SECRET must be set together',
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
