/** Stable codes for every failure this package reports. Guards check `code`, not `instanceof`. */
export const DataErrorCode = {
  invalidArgument: 'DATA_INVALID_ARGUMENT',
  connectionFailed: 'DATA_CONNECTION_FAILED',
  closed: 'DATA_CLOSED',
  migrationFailed: 'DATA_MIGRATION_FAILED',
  kvCommandFailed: 'DATA_KV_COMMAND_FAILED',
  kvWrongType: 'DATA_KV_WRONG_TYPE',
  kvTooLarge: 'DATA_KV_TOO_LARGE',
  aborted: 'DATA_ABORTED',
} as const;
export type DataErrorCode = (typeof DataErrorCode)[keyof typeof DataErrorCode];

export interface DataErrorOptions {
  readonly cause?: unknown;
  /** For migration failures: the migration that failed. */
  readonly migration?: string;
}

/** The one error type of `@darktower/data`. */
export class DataError extends Error {
  override readonly name = 'DataError';
  readonly code: DataErrorCode;
  readonly migration: string | undefined;

  constructor(code: DataErrorCode, message: string, options: DataErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.migration = options.migration;
  }

  static invalidArgument(message: string): DataError {
    return new DataError(DataErrorCode.invalidArgument, message);
  }

  static connectionFailed(what: string, cause: unknown): DataError {
    return new DataError(DataErrorCode.connectionFailed, `${what}: ${describe(cause)}`, { cause });
  }

  static closed(what: string): DataError {
    return new DataError(DataErrorCode.closed, `${what} is closed`);
  }

  static migrationFailed(migration: string, cause: unknown): DataError {
    return new DataError(DataErrorCode.migrationFailed, `migration "${migration}" failed: ${describe(cause)}`, {
      cause,
      migration,
    });
  }

  static kvCommandFailed(command: string, cause: unknown): DataError {
    return new DataError(DataErrorCode.kvCommandFailed, `key-value command ${command} failed: ${describe(cause)}`, {
      cause,
    });
  }

  static kvWrongType(key: string): DataError {
    return new DataError(DataErrorCode.kvWrongType, `key "${key}" holds a different kind of value`);
  }

  static kvTooLarge(what: string, limit: number): DataError {
    return new DataError(DataErrorCode.kvTooLarge, `${what} exceeds ${String(limit)} bytes`);
  }

  static aborted(what: string, cause?: unknown): DataError {
    return new DataError(DataErrorCode.aborted, `${what} aborted`, { cause });
  }
}

export function isDataError(value: unknown, code?: DataErrorCode): value is DataError {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { name?: unknown; code?: unknown };
  if (candidate.name !== 'DataError' || typeof candidate.code !== 'string') return false;
  return code === undefined || candidate.code === code;
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}
