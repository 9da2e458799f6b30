import { ErrorCode } from '../gen/darktower/v1/enums_pb.ts';

/** Stable reason codes of {@link ProtocolError}. Never renamed: services and clients switch on them. */
export type ProtocolErrorCode =
  | 'BAD_MAGIC'
  | 'UNKNOWN_VERSION'
  | 'UNKNOWN_TYPE'
  | 'LENGTH_OVER_CAP'
  | 'LENGTH_MISMATCH'
  | 'TRUNCATED'
  | 'RESERVED_BITS_SET'
  | 'VALUE_OUT_OF_RANGE'
  | 'STREAM_MISMATCH'
  | 'MALFORMED_PROTOBUF'
  | 'INVALID_STREAM_ID'
  | 'INVALID_FOURCC'
  | 'INVALID_ARGUMENT'
  | 'CLOSED';

/** The protobuf {@link ErrorCode} a peer is told when decoding its bytes failed for `code`. */
export function wireErrorCode(code: ProtocolErrorCode): ErrorCode {
  switch (code) {
    case 'BAD_MAGIC':
    case 'UNKNOWN_TYPE':
    case 'LENGTH_MISMATCH':
    case 'TRUNCATED':
    case 'RESERVED_BITS_SET':
    case 'VALUE_OUT_OF_RANGE':
    case 'MALFORMED_PROTOBUF':
      return ErrorCode.MALFORMED_MESSAGE;
    case 'UNKNOWN_VERSION':
      return ErrorCode.UNSUPPORTED_VERSION;
    case 'LENGTH_OVER_CAP':
      return ErrorCode.MESSAGE_TOO_LARGE;
    case 'STREAM_MISMATCH':
    case 'CLOSED':
      return ErrorCode.STREAM_ERROR;
    case 'INVALID_STREAM_ID':
    case 'INVALID_FOURCC':
    case 'INVALID_ARGUMENT':
      return ErrorCode.INVALID_REQUEST;
    default:
      return assertNever(code);
  }
}

function assertNever(value: never): never {
  throw new TypeError(`unhandled protocol error code ${String(value)}`);
}

const PROTOCOL_ERROR = Symbol.for('darktower.protocol.ProtocolError');

/**
 * The one error type of @darktower/protocol: bytes from a peer (or arguments from a caller) that do not form a valid
 * message. `code` is stable; `wireCode` is what to put in an ErrorMessage sent back to the peer.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  readonly [PROTOCOL_ERROR] = true;

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  get wireCode(): ErrorCode {
    return wireErrorCode(this.code);
  }

  static badMagic(found: number): ProtocolError {
    return new ProtocolError('BAD_MAGIC', `bad stream header magic 0x${hex32(found)} (expected "DART")`);
  }

  static unknownVersion(what: string, version: number): ProtocolError {
    return new ProtocolError('UNKNOWN_VERSION', `unknown ${what} version ${version}`);
  }

  static unknownType(what: string, type: number): ProtocolError {
    return new ProtocolError('UNKNOWN_TYPE', `unknown ${what} 0x${type.toString(16).padStart(2, '0')}`);
  }

  static lengthOverCap(what: string, length: number, cap: number): ProtocolError {
    return new ProtocolError('LENGTH_OVER_CAP', `${what} length ${length} exceeds the cap of ${cap} bytes`);
  }

  static lengthMismatch(what: string, expected: number, actual: number): ProtocolError {
    return new ProtocolError('LENGTH_MISMATCH', `${what} is ${actual} bytes, expected ${expected}`);
  }

  static truncated(what: string, needed: number, available: number): ProtocolError {
    return new ProtocolError('TRUNCATED', `${what} truncated: needed ${needed} bytes, had ${available}`);
  }

  static reservedBitsSet(what: string): ProtocolError {
    return new ProtocolError('RESERVED_BITS_SET', `${what}: reserved bits must be zero`);
  }

  static valueOutOfRange(what: string): ProtocolError {
    return new ProtocolError('VALUE_OUT_OF_RANGE', `${what} is above 2^53-1`);
  }

  static streamMismatch(detail: string): ProtocolError {
    return new ProtocolError('STREAM_MISMATCH', detail);
  }

  static malformedProtobuf(typeName: string, cause: unknown): ProtocolError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new ProtocolError('MALFORMED_PROTOBUF', `malformed ${typeName}: ${reason}`, { cause });
  }

  static invalidStreamId(input: string): ProtocolError {
    return new ProtocolError(
      'INVALID_STREAM_ID',
      `not a UUID stream id: ${JSON.stringify(input.slice(0, 64))}`,
    );
  }

  static invalidFourCC(detail: string): ProtocolError {
    return new ProtocolError('INVALID_FOURCC', `invalid FourCC: ${detail}`);
  }

  static invalidArgument(detail: string): ProtocolError {
    return new ProtocolError('INVALID_ARGUMENT', detail);
  }

  static closed(what: string, cause?: unknown): ProtocolError {
    return new ProtocolError('CLOSED', `${what} is closed`, { cause });
  }
}

/**
 * True when `error` is a {@link ProtocolError} (from any copy of this package), optionally with the given code.
 * Checks a brand, not `instanceof`.
 */
export function isProtocolError(error: unknown, code?: ProtocolErrorCode): error is ProtocolError {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as Partial<Record<typeof PROTOCOL_ERROR, unknown>>)[PROTOCOL_ERROR] !== true) return false;
  return code === undefined || (error as ProtocolError).code === code;
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
