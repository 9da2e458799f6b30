import { create } from '@bufbuild/protobuf';
import { type ErrorMessage, ErrorMessageSchema } from '../gen/darktower/v1/common_pb.ts';
import type { ProtocolError } from './protocol-error.ts';

/** The ErrorMessage to send a peer whose bytes failed with `error` (details.reason carries the stable code). */
export function toErrorMessage(error: ProtocolError): ErrorMessage {
  return create(ErrorMessageSchema, {
    code: error.wireCode,
    message: error.message,
    details: { reason: error.code },
  });
}
