import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../gen/darktower/v1/enums_pb.ts';
import { MediaResetCode, mediaResetCodeFor } from './media-reset-code.ts';
import { isProtocolError, ProtocolError, type ProtocolErrorCode, wireErrorCode } from './protocol-error.ts';
import { toErrorMessage } from './to-error-message.ts';

const factories: [ProtocolError, ProtocolErrorCode, ErrorCode][] = [
  [ProtocolError.badMagic(0x44415255), 'BAD_MAGIC', ErrorCode.MALFORMED_MESSAGE],
  [ProtocolError.unknownVersion('x', 2), 'UNKNOWN_VERSION', ErrorCode.UNSUPPORTED_VERSION],
  [ProtocolError.unknownType('x', 9), 'UNKNOWN_TYPE', ErrorCode.MALFORMED_MESSAGE],
  [ProtocolError.lengthOverCap('x', 10, 5), 'LENGTH_OVER_CAP', ErrorCode.MESSAGE_TOO_LARGE],
  [ProtocolError.lengthMismatch('x', 1, 2), 'LENGTH_MISMATCH', ErrorCode.MALFORMED_MESSAGE],
  [ProtocolError.truncated('x', 4, 2), 'TRUNCATED', ErrorCode.MALFORMED_MESSAGE],
  [ProtocolError.reservedBitsSet('x'), 'RESERVED_BITS_SET', ErrorCode.MALFORMED_MESSAGE],
  [ProtocolError.valueOutOfRange('x'), 'VALUE_OUT_OF_RANGE', ErrorCode.MALFORMED_MESSAGE],
  [ProtocolError.streamMismatch('x'), 'STREAM_MISMATCH', ErrorCode.STREAM_ERROR],
  [ProtocolError.malformedProtobuf('T', new Error('bad')), 'MALFORMED_PROTOBUF', ErrorCode.MALFORMED_MESSAGE],
  [ProtocolError.invalidStreamId('x'), 'INVALID_STREAM_ID', ErrorCode.INVALID_REQUEST],
  [ProtocolError.invalidFourCC('x'), 'INVALID_FOURCC', ErrorCode.INVALID_REQUEST],
  [ProtocolError.invalidArgument('x'), 'INVALID_ARGUMENT', ErrorCode.INVALID_REQUEST],
  [ProtocolError.closed('x'), 'CLOSED', ErrorCode.STREAM_ERROR],
];

test('each factory sets its stable code and wire code', () => {
  for (const [error, code, wire] of factories) {
    assert.equal(error.code, code);
    assert.equal(error.wireCode, wire);
    assert.equal(wireErrorCode(code), wire);
    assert.ok(isProtocolError(error, code));
    assert.equal(error.name, 'ProtocolError');
  }
  assert.equal(new Set(factories.map(([, c]) => c)).size, factories.length);
});

test('guards check the brand and code, not instanceof', () => {
  const e = ProtocolError.truncated('x', 4, 1);
  assert.equal(isProtocolError(e, 'TRUNCATED'), true);
  assert.equal(isProtocolError(e, 'BAD_MAGIC'), false);
  // A copy from another bundle of this package carries the same Symbol.for brand.
  const foreign = Object.assign(new Error('x'), {
    code: 'TRUNCATED',
    [Symbol.for('darktower.protocol.ProtocolError')]: true,
  });
  assert.equal(isProtocolError(foreign, 'TRUNCATED'), true);
  assert.equal(isProtocolError(Object.assign(new Error('x'), { code: 'TRUNCATED' })), false);
  assert.equal(isProtocolError(null), false);
  assert.equal(isProtocolError('TRUNCATED'), false);
});

test('keeps the cause', () => {
  const cause = new Error('inner');
  assert.equal(ProtocolError.malformedProtobuf('T', cause).cause, cause);
});

test('maps to an ErrorMessage and to media reset codes', () => {
  const msg = toErrorMessage(ProtocolError.lengthOverCap('message', 70000, 65536));
  assert.equal(msg.code, ErrorCode.MESSAGE_TOO_LARGE);
  assert.equal(msg.details.reason, 'LENGTH_OVER_CAP');
  assert.equal(mediaResetCodeFor('LENGTH_OVER_CAP'), MediaResetCode.QuotaExceeded);
  assert.equal(mediaResetCodeFor('BAD_MAGIC'), MediaResetCode.InvalidStreamFormat);
  for (const [, code] of factories)
    assert.ok(Object.values(MediaResetCode).includes(mediaResetCodeFor(code)));
});
