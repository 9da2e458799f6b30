import { isAuthError } from '@darktower/auth-verifier';
import { HttpError } from '@darktower/service-kit';
import { isGlobalError } from '../domain/errors.ts';

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
  return error;
}
