import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { AuthController } from '../auth-controller.ts';
import { ADMIN_CLIENT_ID } from './harness.ts';

export type Inject = (options: InjectOptions) => Promise<LightMyRequestResponse>;

export function injector(controller: AuthController): Inject {
  return (options) => controller.app.inject(options);
}

export async function serviceToken(
  inject: Inject,
  clientId: string,
  clientSecret: string,
  scope?: string,
): Promise<string> {
  const res = await inject({
    method: 'POST',
    url: '/api/v1/auth/token',
    payload: {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      ...(scope === undefined ? {} : { scope }),
    },
  });
  if (res.statusCode !== 200) throw new Error(`token request failed: ${res.statusCode} ${res.body}`);
  return res.json<{ access_token: string }>().access_token;
}

export function adminToken(inject: Inject, adminSecret: string): Promise<string> {
  return serviceToken(inject, ADMIN_CLIENT_ID, adminSecret);
}

export async function registerService(
  inject: Inject,
  admin: string,
  name: string,
  scopes: string[],
): Promise<{ client_id: string; client_secret: string }> {
  const res = await inject({
    method: 'POST',
    url: '/v1/admin/services/register',
    headers: { authorization: `Bearer ${admin}` },
    payload: { name, scopes },
  });
  if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** A `fetch` that answers from the app in-process (for the verifier in unit tests). */
export function injectFetch(inject: Inject): typeof fetch {
  return async (input) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const res = await inject({ method: 'GET', url: url.pathname });
    return new Response(res.body, {
      status: res.statusCode,
      headers: { 'content-type': 'application/json' },
    });
  };
}
