import type { Tracing } from '@darktower/service-kit';
import type { ServiceTokenSource } from './meeting-controller-client.ts';

export interface ClientCredentialsOptions {
  /** The Auth Controller's `POST /v1/auth/service/token`. */
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Space-separated scopes to ask for (e.g. `service.write.mc`); the client's registered ones when absent. */
  readonly scope?: string;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  /** The request carries the active span's `traceparent`, so the Auth Controller's spans join the caller's trace. */
  readonly tracing?: Tracing;
}

const MAX_RESPONSE_CHARS = 16 * 1024;

/**
 * OAuth 2.0 client credentials (architecture.md: service-to-service authentication): fetches a service token from the
 * Auth Controller, reuses it until a minute before it expires, and shares one request among concurrent callers.
 */
export function clientCredentialsTokenSource(options: ClientCredentialsOptions): ServiceTokenSource {
  const doFetch = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  let cached: { token: string; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  const request = async (): Promise<string> => {
    const body: Record<string, string> = {
      grant_type: 'client_credentials',
      client_id: options.clientId,
      client_secret: options.clientSecret,
    };
    if (options.scope !== undefined) body.scope = options.scope;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    const res = await doFetch(options.tokenUrl, {
      method: 'POST',
      headers: options.tracing === undefined ? headers : options.tracing.injectHeaders(headers),
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`service token request failed with HTTP ${res.status}`);
    if (text.length > MAX_RESPONSE_CHARS) throw new Error('service token response too large');
    const parsed = JSON.parse(text) as { access_token?: unknown; expires_in?: unknown };
    if (typeof parsed.access_token !== 'string' || parsed.access_token === '') {
      throw new Error('service token response has no access_token');
    }
    const lifetimeS =
      typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 300;
    cached = {
      token: parsed.access_token,
      refreshAt: now() + Math.max(lifetimeS * 1000 - 60_000, lifetimeS * 500),
    };
    return parsed.access_token;
  };

  return async () => {
    if (cached !== undefined && cached.refreshAt > now()) return cached.token;
    inFlight ??= request().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
