import { type DescMessage } from '@bufbuild/protobuf';
import {
  type MediaClientMessage,
  MediaClientMessageSchema,
  type MediaServerMessage,
  MediaServerMessageSchema,
} from '../gen/darktower/v1/media_control_pb.ts';
import {
  type ClientMessage,
  ClientMessageSchema,
  type ServerMessage,
  ServerMessageSchema,
} from '../gen/darktower/v1/signaling_pb.ts';
import { decodeMessage, encodeMessage } from './message-codec.ts';

// The four envelopes that travel length-prefixed: signaling (client <-> meeting controller) and the media control
// channel (client <-> media handler). Encoders return prefix + body; decoders take a body from FrameDecoder.

export const encodeClientMessage = (m: ClientMessage, maxMessageSize?: number): Uint8Array =>
  encodeMessage(ClientMessageSchema, m, maxMessageSize);
export const decodeClientMessage = (body: Uint8Array): ClientMessage =>
  decodeMessage(ClientMessageSchema, body);

export const encodeServerMessage = (m: ServerMessage, maxMessageSize?: number): Uint8Array =>
  encodeMessage(ServerMessageSchema, m, maxMessageSize);
export const decodeServerMessage = (body: Uint8Array): ServerMessage =>
  decodeMessage(ServerMessageSchema, body);

export const encodeMediaClientMessage = (m: MediaClientMessage, maxMessageSize?: number): Uint8Array =>
  encodeMessage(MediaClientMessageSchema, m, maxMessageSize);
export const decodeMediaClientMessage = (body: Uint8Array): MediaClientMessage =>
  decodeMessage(MediaClientMessageSchema, body);

export const encodeMediaServerMessage = (m: MediaServerMessage, maxMessageSize?: number): Uint8Array =>
  encodeMessage(MediaServerMessageSchema, m, maxMessageSize);
export const decodeMediaServerMessage = (body: Uint8Array): MediaServerMessage =>
  decodeMessage(MediaServerMessageSchema, body);

/** The envelope schemas, for readMessages / MessageWriter. */
export const Envelopes = {
  client: ClientMessageSchema,
  server: ServerMessageSchema,
  mediaClient: MediaClientMessageSchema,
  mediaServer: MediaServerMessageSchema,
} as const satisfies Record<string, DescMessage>;
