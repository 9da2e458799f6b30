// OAuth 2.0 client credentials for service-to-service calls (architecture.md: service authentication): a token
// source that asks the Auth Controller's `POST /v1/auth/service/token` for a service JWT, keeps it until a minute
// before it expires, and shares one request among concurrent callers.

/** Why a service token could not be obtained. Stable strings (logs, metrics labels). */
export type ServiceTokenErrorCode =
  | 'TOKEN_ENDPOINT_UNREACHABLE'
  | 'TOKEN_REQUEST_REFUSED'
  | 'TOKEN_RESPONSE_INVALID'
  | 'TOKEN_RESPONSE_TOO_LARGE';

export class ServiceTokenError extends Error {
  override readonly name = 'ServiceTokenError';
  readonly code: ServiceTokenErrorCode;
  /** HTTP status of the token endpoint's answer, when there was one. */
  readonly status: number | undefined;

  constructor(
    code: ServiceTokenErrorCode,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
  }
}

export function isServiceTokenError(error: unknown): error is ServiceTokenError {
  return error instanceof ServiceTokenError;
}

export interface ClientCredentialsOptions {
  /** The Auth Controller's token endpoint, e.g. `https://auth.example/v1/auth/service/token`. */
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Space-separated scopes to ask for (e.g. `service.write.mh`); the client's registered ones when absent. */
  readonly scope?: string;
  /** Per request; default 5 s. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  /** Milliseconds since the epoch; default Date.now. */
  readonly now?: () => number;
}

/** Returns a bearer token that is valid for at least about a minute (or half its lifetime, if shorter). */
export type ServiceTokenSource = (signal?: AbortSignal) => Promise<string>;

/** Largest token response read (a JWT with scopes is well under 4 KiB). */
export const MAX_TOKEN_RESPONSE_BYTES = 16 * 1024;
const REFRESH_MARGIN_MS = 60_000;
const DEFAULT_LIFETIME_S = 300;

export function clientCredentialsTokenSource(options: ClientCredentialsOptions): ServiceTokenSource {
  if (!/^https?:\/\//.test(options.tokenUrl)) throw new TypeError('tokenUrl must be an http(s) URL');
  if (options.clientId === '' || options.clientSecret === '')
    throw new TypeError('clientId and clientSecret are required');
  const doFetch = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  let cached: { token: string; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  const request = async (): Promise<string> => {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: options.clientId,
      client_secret: options.clientSecret,
    });
    if (options.scope !== undefined && options.scope !== '') form.set('scope', options.scope);
    let res: Response;
    try {
      res = await doFetch(options.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
        redirect: 'error',
      });
    } catch (error) {
      throw new ServiceTokenError('TOKEN_ENDPOINT_UNREACHABLE', 'token endpoint unreachable', {
        cause: error,
      });
    }
    const text = await readBounded(res);
    if (!res.ok) {
      throw new ServiceTokenError('TOKEN_REQUEST_REFUSED', `token request refused with HTTP ${res.status}`, {
        status: res.status,
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ServiceTokenError('TOKEN_RESPONSE_INVALID', 'token response is not JSON', { cause: error });
    }
    const body = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
      access_token?: unknown;
      expires_in?: unknown;
      token_type?: unknown;
    };
    const token = body.access_token;
    if (typeof token !== 'string' || !/^[\x21-\x7e]{1,8192}$/.test(token)) {
      throw new ServiceTokenError('TOKEN_RESPONSE_INVALID', 'token response has no usable access_token');
    }
    if (
      body.token_type !== undefined &&
      (typeof body.token_type !== 'string' || !/^bearer$/i.test(body.token_type))
    )
      throw new ServiceTokenError('TOKEN_RESPONSE_INVALID', 'token response is not a bearer token');
    const lifetimeS =
      typeof body.expires_in === 'number' && Number.isFinite(body.expires_in) && body.expires_in > 0
        ? Math.min(body.expires_in, 366 * 86_400)
        : DEFAULT_LIFETIME_S;
    const lifetimeMs = lifetimeS * 1000;
    cached = { token, refreshAt: now() + Math.max(lifetimeMs - REFRESH_MARGIN_MS, lifetimeMs / 2) };
    return token;
  };

  return async (signal) => {
    signal?.throwIfAborted();
    if (cached !== undefined && cached.refreshAt > now()) return cached.token;
    inFlight ??= request().finally(() => {
      inFlight = undefined;
    });
    if (signal === undefined) return inFlight;
    const { promise, reject } = Promise.withResolvers<never>();
    const onAbort = (): void => {
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await Promise.race([inFlight, promise]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  };
}

async function readBounded(res: Response): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_TOKEN_RESPONSE_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw new ServiceTokenError('TOKEN_RESPONSE_TOO_LARGE', 'token response too large', {
      status: res.status,
    });
  }
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > MAX_TOKEN_RESPONSE_BYTES) {
        await reader.cancel().catch(() => undefined);
        throw new ServiceTokenError('TOKEN_RESPONSE_TOO_LARGE', 'token response too large', {
          status: res.status,
        });
      }
      chunks.push(value);
    }
  } catch (error) {
    if (isServiceTokenError(error)) throw error;
    throw new ServiceTokenError('TOKEN_ENDPOINT_UNREACHABLE', 'token response interrupted', { cause: error });
  }
  return Buffer.concat(chunks).toString('utf8');
}
