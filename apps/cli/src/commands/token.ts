// `darktower token`: prints an access token, for scripts.
//   darktower token --client-id ID --client-secret SECRET      (service, OAuth client credentials)
//   darktower token --username NAME --password PASS            (user)
// The secret may come from DARKTOWER_CLIENT_SECRET / DARKTOWER_PASSWORD instead of the command line.
import { parseArgs } from 'node:util';
import { callApi } from '../api-client.ts';

interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
}

export async function tokenCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string', default: env.DARKTOWER_URL ?? 'http://localhost:8080' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      scope: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  let result: TokenResponse;
  if (values['client-id'] !== undefined) {
    const secret = values['client-secret'] ?? env.DARKTOWER_CLIENT_SECRET;
    if (secret === undefined) throw new Error('--client-secret or DARKTOWER_CLIENT_SECRET is required');
    result = await callApi<TokenResponse>(values.url, {
      method: 'POST',
      path: '/api/v1/auth/token',
      form: {
        grant_type: 'client_credentials',
        client_id: values['client-id'],
        client_secret: secret,
        ...(values.scope === undefined ? {} : { scope: values.scope }),
      },
    });
  } else if (values.username !== undefined) {
    const password = values.password ?? env.DARKTOWER_PASSWORD;
    if (password === undefined) throw new Error('--password or DARKTOWER_PASSWORD is required');
    result = await callApi<TokenResponse>(values.url, {
      method: 'POST',
      path: '/v1/auth/user/token',
      json: { username: values.username, password },
    });
  } else {
    throw new Error('give --client-id (service) or --username (user)');
  }
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${result.access_token}\n`);
  return 0;
}
