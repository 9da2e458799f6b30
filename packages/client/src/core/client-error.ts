// One error type for the SDK, with stable codes: the api-contracts.md codes the services send, plus the client's own.
export type ClientErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CAPACITY_EXCEEDED'
  | 'MEETING_ENDED'
  | 'SESSION_EXPIRED'
  | 'RATE_LIMITED'
  | 'INVALID_REQUEST'
  | 'CONFLICT'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'CLOSED'
  | 'PROTOCOL'
  | 'UNSUPPORTED'
  | 'INVALID_STATE';

const WIRE_CODES: ReadonlySet<string> = new Set([
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CAPACITY_EXCEEDED',
  'MEETING_ENDED',
  'SESSION_EXPIRED',
  'RATE_LIMITED',
  'INVALID_REQUEST',
  'CONFLICT',
  'UNAVAILABLE',
  'INTERNAL',
]);

/** Wire codes of api-contracts.md that are a more specific form of one of ours (the wire code stays in details). */
const WIRE_ALIASES: ReadonlyMap<string, ClientErrorCode> = new Map([
  ['MEETING_NOT_FOUND', 'NOT_FOUND'],
  ['INTERNAL_ERROR', 'INTERNAL'],
]);

export class ClientError extends Error {
  override readonly name = 'ClientError';
  readonly code: ClientErrorCode;
  readonly details: Readonly<Record<string, string>>;

  constructor(
    code: ClientErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, string> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  /** Maps a code received on the wire (REST body or ErrorMessage) to ours; unknown codes become INTERNAL. */
  static fromWire(code: string, message: string, details: Record<string, string> = {}): ClientError {
    const known = WIRE_CODES.has(code) ? (code as ClientErrorCode) : (WIRE_ALIASES.get(code) ?? 'INTERNAL');
    return new ClientError(known, message || code, { details: { ...details, wireCode: code } });
  }

  static timeout(what: string): ClientError {
    return new ClientError('TIMEOUT', `timed out: ${what}`);
  }

  static aborted(reason?: unknown): ClientError {
    return new ClientError('ABORTED', 'aborted', { cause: reason });
  }

  static closed(what: string, cause?: unknown): ClientError {
    return new ClientError('CLOSED', `${what} is closed`, { cause });
  }

  static protocol(message: string, cause?: unknown): ClientError {
    return new ClientError('PROTOCOL', message, { cause });
  }

  static invalidState(message: string): ClientError {
    return new ClientError('INVALID_STATE', message);
  }

  static unsupported(message: string): ClientError {
    return new ClientError('UNSUPPORTED', message);
  }
}

export function isClientError(error: unknown, code?: ClientErrorCode): error is ClientError {
  return (
    error instanceof Error &&
    error.name === 'ClientError' &&
    (code === undefined || (error as { code?: unknown }).code === code)
  );
}
