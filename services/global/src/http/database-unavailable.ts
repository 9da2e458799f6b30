import { DataErrorCode, isDataError } from '@darktower/data';

// Socket-level failures and PostgreSQL's "cannot serve you now" SQLSTATEs (class 08 connection exceptions,
// 57P01-57P03 shutdown / cannot connect now): the database is unreachable, not the request wrong.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
const SQLSTATES = /^(08\d{3}|57P0[123])$/;
const DRIVER_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /connection terminated/i,
  /not queryable/i,
];

/** True when `error` (or one of its causes) says the database cannot be reached right now. */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  if (isDataError(error, DataErrorCode.connectionFailed)) return true;
  const { code, message, cause } = error as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SQLSTATES.test(code))) return true;
  if (typeof message === 'string' && DRIVER_MESSAGES.some((re) => re.test(message))) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}
