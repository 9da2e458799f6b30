// The one error type this package hands to applications; guards check `code`, not instanceof.

export type TransportErrorCode =
  | 'INVALID_CONFIG'
  | 'CONNECT_FAILED'
  | 'SESSION_REFUSED'
  | 'CERTIFICATE_MISMATCH'
  | 'SESSION_CLOSED'
  | 'STREAM_RESET'
  | 'STREAM_STOPPED'
  | 'ABORTED'
  | 'TIMEOUT'
  | 'INTERNAL';

export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly code: TransportErrorCode;
  /** HTTP status for SESSION_REFUSED; stream or connection error code for resets and closes. */
  readonly status: number | undefined;

  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options?.status;
  }

  static invalidConfig(message: string): TransportError {
    return new TransportError('INVALID_CONFIG', message);
  }
  static connectFailed(message: string, cause?: unknown): TransportError {
    return new TransportError('CONNECT_FAILED', message, { cause });
  }
  static refused(status: number): TransportError {
    return new TransportError('SESSION_REFUSED', `server refused the session with HTTP ${status}`, {
      status,
    });
  }
  static certificateMismatch(): TransportError {
    return new TransportError(
      'CERTIFICATE_MISMATCH',
      'server certificate hash matches none of the pinned hashes',
    );
  }
  static sessionClosed(detail = ''): TransportError {
    return new TransportError('SESSION_CLOSED', `session closed${detail ? `: ${detail}` : ''}`);
  }
  static streamReset(code: number): TransportError {
    return new TransportError('STREAM_RESET', `stream reset by peer (code ${code})`, { status: code });
  }
  static streamStopped(code: number): TransportError {
    return new TransportError('STREAM_STOPPED', `peer stopped reading (code ${code})`, { status: code });
  }
  static aborted(reason?: unknown): TransportError {
    return new TransportError('ABORTED', 'aborted', { cause: reason });
  }
  static timeout(what: string): TransportError {
    return new TransportError('TIMEOUT', `${what} timed out`);
  }
}

export function isTransportError(e: unknown, code?: TransportErrorCode): e is TransportError {
  return (
    e instanceof Error &&
    e.name === 'TransportError' &&
    'code' in e &&
    (code === undefined || (e as TransportError).code === code)
  );
}
