// A small HTTP client for the Dark Tower REST APIs, used by the thin CLI commands. Errors carry the
// api-contracts.md error code (or the RFC 6749 error) so scripts can branch on them.
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export interface ApiRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  token?: string;
  json?: unknown;
  form?: Record<string, string>;
  signal?: AbortSignal;
}

export async function callApi<T>(baseUrl: string, request: ApiRequest): Promise<T> {
  const url = new URL(request.path, baseUrl);
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string | undefined;
  if (request.token !== undefined) headers.authorization = `Bearer ${request.token}`;
  if (request.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(request.json);
  } else if (request.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(request.form).toString();
  }
  const response = await fetch(url, {
    method: request.method,
    headers,
    ...(body === undefined ? {} : { body }),
    signal: request.signal ?? AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const p = parsed as
      { error?: { code?: string; message?: string } | string; error_description?: string } | undefined;
    if (typeof p?.error === 'object') {
      throw new ApiError(response.status, p.error.code ?? 'ERROR', p.error.message ?? response.statusText);
    }
    if (typeof p?.error === 'string') {
      throw new ApiError(response.status, p.error, p.error_description ?? p.error);
    }
    throw new ApiError(response.status, 'HTTP_ERROR', `${response.status} ${response.statusText}`);
  }
  return parsed as T;
}
