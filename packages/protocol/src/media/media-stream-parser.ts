import { isProtocolError, ProtocolError } from '../errors/protocol-error.ts';
import { StreamType } from '../gen/darktower/v1/enums_pb.ts';
import {
  DEFAULT_MAX_PAYLOAD_LENGTH,
  FRAME_HEADER_BYTES,
  type FrameHeader,
  FrameType,
  readFrameHeader,
} from './frame-header.ts';
import { readStreamHeader, STREAM_HEADER_BYTES, type StreamHeader } from './stream-header.ts';

export type MediaStreamEvent =
  | { readonly kind: 'header'; readonly header: StreamHeader }
  | { readonly kind: 'frame'; readonly header: FrameHeader; readonly payload: Uint8Array };

export interface MediaStreamParserOptions {
  /** Largest frame payload accepted (default 4 MiB); a longer length field fails before anything is allocated. */
  readonly maxPayloadLength?: number;
}

type ParserState =
  | { readonly state: 'stream-header'; got: number }
  | { readonly state: 'frame-header'; readonly stream: StreamHeader; got: number }
  | {
      readonly state: 'payload';
      readonly stream: StreamHeader;
      readonly frame: FrameHeader;
      readonly payload: Uint8Array;
      filled: number;
    }
  | { readonly state: 'failed'; readonly error: ProtocolError };

/**
 * Incremental parser of one unidirectional media stream: a 32-byte stream header, then frames (46-byte header +
 * payload), split across chunks anywhere. Every frame must carry the stream header's stream id and a frame type that
 * fits its stream type (audio frames on audio streams, key/delta frames on video streams): STREAM_MISMATCH otherwise.
 *
 * A payload that lies inside one pushed chunk is returned as a view into it (no copy): do not reuse a chunk's memory
 * after pushing it. A payload split across chunks is copied into one buffer of exactly its length. After an error the
 * parser stays failed and rethrows it.
 */
export class MediaStreamParser {
  readonly maxPayloadLength: number;
  readonly #scratch = new Uint8Array(Math.max(STREAM_HEADER_BYTES, FRAME_HEADER_BYTES));
  #st: ParserState = { state: 'stream-header', got: 0 };

  constructor(options: MediaStreamParserOptions = {}) {
    const max = options.maxPayloadLength ?? DEFAULT_MAX_PAYLOAD_LENGTH;
    if (!Number.isInteger(max) || max < 0 || max > 0xffff_ffff) {
      throw ProtocolError.invalidArgument('maxPayloadLength must be an integer in 0..2^32-1');
    }
    this.maxPayloadLength = max;
  }

  /** The stream header, once parsed. */
  get streamHeader(): StreamHeader | undefined {
    const st = this.#st;
    return st.state === 'frame-header' || st.state === 'payload' ? st.stream : undefined;
  }

  /** Bytes reserved for a payload being reassembled (never above maxPayloadLength). */
  get allocatedBytes(): number {
    return this.#st.state === 'payload' && this.#st.payload.length > 0 ? this.#st.payload.length : 0;
  }

  /** Parses `chunk`; returns the stream header (first time) and every frame the chunk completes, in order. */
  push(chunk: Uint8Array): MediaStreamEvent[] {
    if (this.#st.state === 'failed') throw this.#st.error;
    const out: MediaStreamEvent[] = [];
    let offset = 0;
    try {
      while (offset < chunk.length) offset = this.#step(chunk, offset, out);
    } catch (error) {
      if (isProtocolError(error)) this.#st = { state: 'failed', error };
      throw error;
    }
    return out;
  }

  /** Call when the stream ended: throws TRUNCATED if it ended inside a header or payload (or before its header). */
  finish(): void {
    const st = this.#st;
    let error: ProtocolError | undefined;
    switch (st.state) {
      case 'failed':
        throw st.error;
      case 'stream-header':
        error = ProtocolError.truncated('stream header', STREAM_HEADER_BYTES, st.got);
        break;
      case 'frame-header':
        if (st.got !== 0) error = ProtocolError.truncated('frame header', FRAME_HEADER_BYTES, st.got);
        break;
      case 'payload':
        error = ProtocolError.truncated('frame payload', st.frame.payloadLength, st.filled);
        break;
      default: {
        const unhandled: never = st;
        throw new TypeError(`unhandled parser state ${JSON.stringify(unhandled)}`);
      }
    }
    if (error !== undefined) {
      this.#st = { state: 'failed', error };
      throw error;
    }
  }

  #step(chunk: Uint8Array, offset: number, out: MediaStreamEvent[]): number {
    const st = this.#st;
    const available = chunk.length - offset;
    switch (st.state) {
      case 'failed':
        throw st.error;
      case 'stream-header': {
        let header: StreamHeader;
        if (st.got === 0 && available >= STREAM_HEADER_BYTES) {
          header = readStreamHeader(chunk, offset);
          offset += STREAM_HEADER_BYTES;
        } else {
          const take = Math.min(STREAM_HEADER_BYTES - st.got, available);
          this.#scratch.set(chunk.subarray(offset, offset + take), st.got);
          st.got += take;
          offset += take;
          if (st.got < STREAM_HEADER_BYTES) return offset;
          header = readStreamHeader(this.#scratch, 0);
        }
        out.push({ kind: 'header', header });
        this.#st = { state: 'frame-header', stream: header, got: 0 };
        return offset;
      }
      case 'frame-header': {
        let frame: FrameHeader;
        if (st.got === 0 && available >= FRAME_HEADER_BYTES) {
          frame = readFrameHeader(chunk, offset, this.maxPayloadLength);
          offset += FRAME_HEADER_BYTES;
        } else {
          const take = Math.min(FRAME_HEADER_BYTES - st.got, available);
          this.#scratch.set(chunk.subarray(offset, offset + take), st.got);
          st.got += take;
          offset += take;
          if (st.got < FRAME_HEADER_BYTES) return offset;
          st.got = 0;
          frame = readFrameHeader(this.#scratch, 0, this.maxPayloadLength);
        }
        checkFrameFitsStream(st.stream, frame);
        const rest = chunk.length - offset;
        if (rest >= frame.payloadLength) {
          out.push({
            kind: 'frame',
            header: frame,
            payload: chunk.subarray(offset, offset + frame.payloadLength),
          });
          return offset + frame.payloadLength;
        }
        const payload = new Uint8Array(frame.payloadLength);
        payload.set(chunk.subarray(offset), 0);
        this.#st = { state: 'payload', stream: st.stream, frame, payload, filled: rest };
        return chunk.length;
      }
      case 'payload': {
        const take = Math.min(st.payload.length - st.filled, available);
        st.payload.set(chunk.subarray(offset, offset + take), st.filled);
        st.filled += take;
        if (st.filled === st.payload.length) {
          out.push({ kind: 'frame', header: st.frame, payload: st.payload });
          this.#st = { state: 'frame-header', stream: st.stream, got: 0 };
        }
        return offset + take;
      }
      default: {
        const unhandled: never = st;
        throw new TypeError(`unhandled parser state ${JSON.stringify(unhandled)}`);
      }
    }
  }
}

/** Throws STREAM_MISMATCH unless `frame` may travel on a stream opened with `stream`. */
export function checkFrameFitsStream(stream: StreamHeader, frame: FrameHeader): void {
  if (frame.streamId !== stream.streamId) {
    throw ProtocolError.streamMismatch(`frame for stream ${frame.streamId} on stream ${stream.streamId}`);
  }
  const isAudioFrame = frame.frameType === FrameType.Audio;
  const isAudioStream = stream.streamType === StreamType.AUDIO;
  if (isAudioFrame !== isAudioStream) {
    throw ProtocolError.streamMismatch(
      `frame type 0x${frame.frameType.toString(16)} on a ${StreamType[stream.streamType]} stream`,
    );
  }
}
