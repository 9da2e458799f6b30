import { ErrorCode, type ErrorMessage } from '@darktower/protocol';
import { ClientError } from './client-error.ts';

/** An ErrorMessage from the wire as a ClientError carrying the api-contracts.md code. */
export function fromErrorMessage(e: ErrorMessage): ClientError {
  const name = (ErrorCode as unknown as Record<number, string | undefined>)[e.code] ?? 'INTERNAL';
  return ClientError.fromWire(name === 'INTERNAL_ERROR' ? 'INTERNAL' : name, e.message, e.details);
}
