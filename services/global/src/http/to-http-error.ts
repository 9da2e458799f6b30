import { isAuthError } from '@darktower/auth-verifier';
import { HttpError } from '@darktower/service-kit';
import { GlobalError, isGlobalError } from '../domain/errors.ts';
import { isDatabaseUnavailable } from './database-unavailable.ts';

/** Our typed errors as service-kit HttpErrors (api-contracts.md body); anything else passes through unchanged. */
export function toHttpError(error: unknown): unknown {
  if (isGlobalError(error)) {
    return new HttpError(error.code, error.message, {
      status: error.status,
      details: { ...error.details },
      ...(error.code === 'UNAUTHORIZED' ? { headers: { 'www-authenticate': 'Bearer' } } : {}),
      cause: error,
    });
  }
  if (isAuthError(error)) {
    return new HttpError(error.code, error.message, {
      status: error.status,
      details: { reason: error.reason },
      headers: {
        'www-authenticate':
          error.code === 'FORBIDDEN' ? 'Bearer error="insufficient_scope"' : 'Bearer error="invalid_token"',
      },
      cause: error,
    });
  }
  // An unreachable database is the service being unavailable (503, retry later), not an internal error.
  if (isDatabaseUnavailable(error)) {
    const unavailable = GlobalError.unavailable('The database is unavailable; retry shortly', error);
    return new HttpError(unavailable.code, unavailable.message, {
      status: unavailable.status,
      headers: { 'retry-after': '5' },
      cause: error,
    });
  }
  return error;
}
