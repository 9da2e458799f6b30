import { ProtocolError } from '../errors/protocol-error.ts';
import { checkMaxMessageSize, DEFAULT_MAX_MESSAGE_SIZE, LENGTH_PREFIX_BYTES } from './length-prefix.ts';

export interface FrameDecoderOptions {
  /** Largest message body accepted, in bytes (default 64 KiB). A longer prefix fails before anything is allocated. */
  readonly maxMessageSize?: number;
}

type DecoderState =
  | { readonly state: 'prefix'; prefixBytes: number }
  | { readonly state: 'body'; readonly body: Uint8Array; filled: number }
  | { readonly state: 'failed'; readonly error: ProtocolError };

/**
 * Incremental decoder of length-prefixed messages: feed chunks split anywhere, get whole message bodies back.
 *
 * A message that lies entirely inside one pushed chunk is returned as a view into that chunk (no copy), so the
 * caller must not reuse a chunk's memory after pushing it. A message split across chunks is copied into one buffer of
 * exactly its length, allocated only after its prefix was checked against the cap. After an error the decoder stays
 * failed and rethrows it.
 */
export class FrameDecoder {
  readonly maxMessageSize: number;
  readonly #prefix = new Uint8Array(LENGTH_PREFIX_BYTES);
  #st: DecoderState = { state: 'prefix', prefixBytes: 0 };

  constructor(options: FrameDecoderOptions = {}) {
    this.maxMessageSize = checkMaxMessageSize(options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE);
  }

  /** Bytes reserved for the message being reassembled (never above maxMessageSize). */
  get allocatedBytes(): number {
    return this.#st.state === 'body' ? this.#st.body.length : 0;
  }

  /** True when no partial message is buffered (a clean place for the stream to end). */
  get idle(): boolean {
    return this.#st.state === 'prefix' && this.#st.prefixBytes === 0;
  }

  /** Decodes `chunk` and returns every message it completes, in order. Throws LENGTH_OVER_CAP. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#st.state === 'failed') throw this.#st.error;
    const out: Uint8Array[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const st = this.#st;
      switch (st.state) {
        case 'prefix': {
          let length: number;
          if (st.prefixBytes === 0 && chunk.length - offset >= LENGTH_PREFIX_BYTES) {
            length = readU32(chunk, offset);
            offset += LENGTH_PREFIX_BYTES;
          } else {
            const take = Math.min(LENGTH_PREFIX_BYTES - st.prefixBytes, chunk.length - offset);
            this.#prefix.set(chunk.subarray(offset, offset + take), st.prefixBytes);
            st.prefixBytes += take;
            offset += take;
            if (st.prefixBytes < LENGTH_PREFIX_BYTES) return out;
            length = readU32(this.#prefix, 0);
            st.prefixBytes = 0;
          }
          if (length > this.maxMessageSize) {
            this.#fail(ProtocolError.lengthOverCap('message', length, this.maxMessageSize));
          }
          if (chunk.length - offset >= length) {
            out.push(chunk.subarray(offset, offset + length));
            offset += length;
          } else {
            const body = new Uint8Array(length);
            const take = chunk.length - offset;
            body.set(chunk.subarray(offset), 0);
            offset += take;
            this.#st = { state: 'body', body, filled: take };
          }
          break;
        }
        case 'body': {
          const take = Math.min(st.body.length - st.filled, chunk.length - offset);
          st.body.set(chunk.subarray(offset, offset + take), st.filled);
          st.filled += take;
          offset += take;
          if (st.filled === st.body.length) {
            out.push(st.body);
            this.#st = { state: 'prefix', prefixBytes: 0 };
          }
          break;
        }
        default: {
          const unhandled: never = st;
          throw new TypeError(`unhandled decoder state ${JSON.stringify(unhandled)}`);
        }
      }
    }
    return out;
  }

  /** Call when the byte stream ended: throws TRUNCATED if a message was cut off. */
  finish(): void {
    const st = this.#st;
    switch (st.state) {
      case 'failed':
        throw st.error;
      case 'prefix':
        if (st.prefixBytes !== 0) this.#fail(ProtocolError.truncated('length prefix', 4, st.prefixBytes));
        return;
      case 'body':
        this.#fail(ProtocolError.truncated('message', st.body.length, st.filled));
        return;
      default: {
        const unhandled: never = st;
        throw new TypeError(`unhandled decoder state ${JSON.stringify(unhandled)}`);
      }
    }
  }

  #fail(error: ProtocolError): never {
    this.#st = { state: 'failed', error };
    throw error;
  }
}

function readU32(bytes: Uint8Array, offset: number): number {
  return (
    (((bytes[offset] ?? 0) << 24) >>> 0) +
    ((bytes[offset + 1] ?? 0) << 16) +
    ((bytes[offset + 2] ?? 0) << 8) +
    (bytes[offset + 3] ?? 0)
  );
}
