import { type DescMessage, fromBinary, type MessageShape, toBinary } from '@bufbuild/protobuf';
import { ProtocolError } from '../errors/protocol-error.ts';
import { DEFAULT_MAX_MESSAGE_SIZE, encodeFrame } from './length-prefix.ts';

/** `message` serialized and length-prefixed, ready for one write. Throws LENGTH_OVER_CAP above the cap. */
export function encodeMessage<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE,
): Uint8Array {
  return encodeFrame(toBinary(schema, message), maxMessageSize);
}

/**
 * Parses one message body (without its length prefix). Any parse failure, including protobuf-es's own errors
 * (bad wire type, invalid UTF-8, truncated varint, recursion limit), becomes a MALFORMED_PROTOBUF ProtocolError.
 */
export function decodeMessage<Desc extends DescMessage>(schema: Desc, body: Uint8Array): MessageShape<Desc> {
  try {
    return fromBinary(schema, body);
  } catch (error) {
    throw ProtocolError.malformedProtobuf(schema.typeName, error);
  }
}
