// HTTP/3 frame types (RFC 9114 section 7.2) and their encoders; decoding goes through TlvReader.
import { H3Error } from './h3-error.ts';
import type { TlvPolicy } from './tlv-reader.ts';
import { encodeVarint, varintLength, writeVarint } from './varint.ts';

export const FRAME = {
  DATA: 0x00,
  HEADERS: 0x01,
  CANCEL_PUSH: 0x03,
  SETTINGS: 0x04,
  PUSH_PROMISE: 0x05,
  GOAWAY: 0x07,
  MAX_PUSH_ID: 0x0d,
  /** draft-ietf-webtrans-http3: first bytes of a WebTransport bidi stream (no length follows). */
  WEBTRANSPORT_STREAM: 0x41,
} as const;

/** Uni stream types (RFC 9114 section 6.2, RFC 9204 section 4.2, WebTransport draft). */
export const STREAM_TYPE = {
  CONTROL: 0x00,
  PUSH: 0x01,
  QPACK_ENCODER: 0x02,
  QPACK_DECODER: 0x03,
  WEBTRANSPORT: 0x54,
} as const;

// Frame types of HTTP/2 that RFC 9114 section 7.2.8 reserves: receiving one is a connection error.
const HTTP2_RESERVED = new Set([0x02, 0x06, 0x08, 0x09]);

/** What a locally opened WebTransport stream starts with: its type (bidi 0x41, uni 0x54) and the session id. */
export function webTransportStreamPrefix(bidi: boolean, sessionId: number): Uint8Array {
  const type = bidi ? FRAME.WEBTRANSPORT_STREAM : STREAM_TYPE.WEBTRANSPORT;
  const out = new Uint8Array(varintLength(type) + varintLength(sessionId));
  writeVarint(out, writeVarint(out, 0, type), sessionId);
  return out;
}

export function frameHeader(type: number, length: number): Uint8Array {
  const out = new Uint8Array(varintLength(type) + varintLength(length));
  writeVarint(out, writeVarint(out, 0, type), length);
  return out;
}

export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  const head = frameHeader(type, payload.length);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

export function encodeGoaway(id: number): Uint8Array {
  return encodeFrame(FRAME.GOAWAY, encodeVarint(id));
}

/** How a request stream (the CONNECT stream) reads frames: HEADERS gathered, DATA streamed, unknown skipped. */
export function requestStreamPolicy(maxHeaderBytes: number): (type: number) => TlvPolicy {
  return (type) => {
    switch (type) {
      case FRAME.HEADERS:
        return {
          mode: 'buffer',
          max: maxHeaderBytes,
          onTooLarge: H3Error.excessive(`header block larger than ${maxHeaderBytes} bytes`),
        };
      case FRAME.DATA:
        return { mode: 'stream' };
      case FRAME.CANCEL_PUSH:
      case FRAME.SETTINGS:
      case FRAME.GOAWAY:
      case FRAME.MAX_PUSH_ID:
      case FRAME.PUSH_PROMISE: // we never send MAX_PUSH_ID, so a push promise is an error too
      case FRAME.WEBTRANSPORT_STREAM:
        return {
          mode: 'reject',
          error: H3Error.unexpected(`frame 0x${type.toString(16)} on a request stream`),
        };
      default:
        if (HTTP2_RESERVED.has(type))
          return { mode: 'reject', error: H3Error.unexpected(`HTTP/2 frame type 0x${type.toString(16)}`) };
        return { mode: 'skip' };
    }
  };
}

/** How the peer's control stream reads frames: SETTINGS and GOAWAY gathered, others unexpected or skipped. */
export function controlStreamPolicy(): (type: number) => TlvPolicy {
  return (type) => {
    switch (type) {
      case FRAME.SETTINGS:
        return { mode: 'buffer', max: 4096, onTooLarge: H3Error.excessive('SETTINGS frame too large') };
      case FRAME.GOAWAY:
      case FRAME.MAX_PUSH_ID:
      case FRAME.CANCEL_PUSH:
        return { mode: 'buffer', max: 8, onTooLarge: H3Error.frame('frame too large') };
      case FRAME.DATA:
      case FRAME.HEADERS:
      case FRAME.PUSH_PROMISE:
      case FRAME.WEBTRANSPORT_STREAM:
        return {
          mode: 'reject',
          error: H3Error.unexpected(`frame 0x${type.toString(16)} on the control stream`),
        };
      default:
        if (HTTP2_RESERVED.has(type))
          return { mode: 'reject', error: H3Error.unexpected(`HTTP/2 frame type 0x${type.toString(16)}`) };
        return { mode: 'skip' };
    }
  };
}
