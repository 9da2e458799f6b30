// Generated protobuf schemas and types (package darktower.v1). Each generated file exports distinct names.
export * from './gen/darktower/v1/enums_pb.ts';
export * from './gen/darktower/v1/common_pb.ts';
export * from './gen/darktower/v1/layout_pb.ts';
export * from './gen/darktower/v1/mls_pb.ts';
export * from './gen/darktower/v1/signaling_pb.ts';
export * from './gen/darktower/v1/media_control_pb.ts';
export * from './gen/darktower/v1/global_controller_pb.ts';
export * from './gen/darktower/v1/meeting_controller_pb.ts';
export * from './gen/darktower/v1/media_handler_pb.ts';

// Errors
export {
  isProtocolError,
  ProtocolError,
  type ProtocolErrorCode,
  wireErrorCode,
} from './errors/protocol-error.ts';
export { MediaResetCode, mediaResetCodeFor } from './errors/media-reset-code.ts';
export { toErrorMessage } from './errors/to-error-message.ts';

// Branded ids and units
export {
  parseStreamId,
  randomStreamId,
  readStreamId,
  STREAM_ID_BYTES,
  type StreamId,
  streamIdFromBytes,
  streamIdToBytes,
  tryParseStreamId,
  writeStreamId,
} from './ids/stream-id.ts';
export {
  type FourCC,
  fourCCForCodec,
  KnownFourCC,
  parseFourCC,
  readFourCC,
  writeFourCC,
} from './ids/fourcc.ts';
export { type Micros, micros } from './ids/micros.ts';

// Length-prefixed signaling / control framing
export {
  checkMaxMessageSize,
  DEFAULT_MAX_MESSAGE_SIZE,
  encodeFrame,
  LENGTH_PREFIX_BYTES,
  MAX_LENGTH_PREFIX_VALUE,
} from './framing/length-prefix.ts';
export { FrameDecoder, type FrameDecoderOptions } from './framing/frame-decoder.ts';
export { decodeMessage, encodeMessage } from './framing/message-codec.ts';
export {
  decodeClientMessage,
  decodeMediaClientMessage,
  decodeMediaServerMessage,
  decodeServerMessage,
  encodeClientMessage,
  encodeMediaClientMessage,
  encodeMediaServerMessage,
  encodeServerMessage,
  Envelopes,
} from './framing/envelopes.ts';
export { readMessages, type ReadMessagesOptions } from './framing/message-reader.ts';
export { MessageWriter, type MessageWriterOptions } from './framing/message-writer.ts';

// Media framing
export {
  type AudioLevel,
  decodeFrameHeader,
  DEFAULT_MAX_PAYLOAD_LENGTH,
  encodeFrameHeader,
  FRAME_HEADER_BYTES,
  FRAME_STREAM_ID_OFFSET,
  FRAME_VERSION,
  FrameFlag,
  type FrameHeader,
  FrameType,
  readFrameHeader,
  toFrameType,
  writeFrameHeader,
} from './media/frame-header.ts';
export {
  decodeStreamHeader,
  encodeStreamHeader,
  readStreamHeader,
  STREAM_HEADER_BYTES,
  STREAM_HEADER_STREAM_ID_OFFSET,
  STREAM_MAGIC,
  STREAM_VERSION,
  type StreamHeader,
  toStreamType,
  writeStreamHeader,
} from './media/stream-header.ts';
export { decodeMediaFrame, encodeMediaFrame, type MediaFrame } from './media/media-frame.ts';
export { fragmentFrame } from './media/fragment.ts';
export {
  checkFrameFitsStream,
  type MediaStreamEvent,
  MediaStreamParser,
  type MediaStreamParserOptions,
} from './media/media-stream-parser.ts';
export { readMediaStream, type ReadMediaStreamOptions } from './media/media-stream-reader.ts';
export { MediaStreamWriter } from './media/media-stream-writer.ts';
