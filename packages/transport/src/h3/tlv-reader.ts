// Incremental reader for the type-length-value shape shared by HTTP/3 frames and HTTP capsules: bytes arrive
// in arbitrary pieces; small payloads are gathered up to a per-type cap, large ones streamed or skipped, so
// nothing a peer sends can make us buffer more than the cap.
import { H3Error } from './h3-error.ts';
import { readVarint } from './varint.ts';

export type TlvPolicy =
  | { mode: 'buffer'; max: number; onTooLarge: H3Error }
  | { mode: 'stream' }
  | { mode: 'skip' }
  | { mode: 'reject'; error: H3Error };

export type TlvEvent =
  { kind: 'whole'; type: number; payload: Uint8Array } | { kind: 'piece'; type: number; bytes: Uint8Array };

type State =
  | { at: 'header' }
  | { at: 'buffer'; type: number; payload: Uint8Array; filled: number }
  | { at: 'stream'; type: number; remaining: number }
  | { at: 'skip'; remaining: number };

export class TlvReader {
  readonly #classify: (type: number) => TlvPolicy;
  #state: State = { at: 'header' };
  // Header bytes carried over between pushes: at most two 8-byte varints.
  #head = new Uint8Array(16);
  #headLen = 0;

  constructor(classify: (type: number) => TlvPolicy) {
    this.#classify = classify;
  }

  /** True when the reader stands between two complete items (a clean place for the stream to end). */
  get atBoundary(): boolean {
    return this.#state.at === 'header' && this.#headLen === 0;
  }

  push(chunk: Uint8Array, emit: (event: TlvEvent) => void): void {
    let pos = 0;
    while (pos < chunk.length) {
      const state = this.#state;
      switch (state.at) {
        case 'header': {
          const take = Math.min(16 - this.#headLen, chunk.length - pos);
          this.#head.set(chunk.subarray(pos, pos + take), this.#headLen);
          const avail = this.#headLen + take;
          const view = this.#head.subarray(0, avail);
          const t = readVarint(view, 0);
          const l = t === undefined ? undefined : readVarint(view, t.next);
          if (t === undefined || l === undefined) {
            this.#headLen = avail;
            pos += take;
            break;
          }
          // Only the bytes that belonged to the header are consumed from this chunk.
          pos += l.next - this.#headLen;
          this.#headLen = 0;
          this.#begin(t.value, l.value, emit);
          break;
        }
        case 'buffer': {
          const take = Math.min(state.payload.length - state.filled, chunk.length - pos);
          state.payload.set(chunk.subarray(pos, pos + take), state.filled);
          state.filled += take;
          pos += take;
          if (state.filled === state.payload.length) {
            this.#state = { at: 'header' };
            emit({ kind: 'whole', type: state.type, payload: state.payload });
          }
          break;
        }
        case 'stream': {
          const take = Math.min(state.remaining, chunk.length - pos);
          state.remaining -= take;
          const bytes = chunk.subarray(pos, pos + take);
          pos += take;
          if (state.remaining === 0) this.#state = { at: 'header' };
          emit({ kind: 'piece', type: state.type, bytes });
          break;
        }
        case 'skip': {
          const take = Math.min(state.remaining, chunk.length - pos);
          state.remaining -= take;
          pos += take;
          if (state.remaining === 0) this.#state = { at: 'header' };
          break;
        }
      }
    }
  }

  #begin(type: number, length: number, emit: (event: TlvEvent) => void): void {
    const policy = this.#classify(type);
    switch (policy.mode) {
      case 'reject':
        throw policy.error;
      case 'buffer':
        if (length > policy.max) throw policy.onTooLarge;
        if (length === 0) emit({ kind: 'whole', type, payload: new Uint8Array(0) });
        else this.#state = { at: 'buffer', type, payload: new Uint8Array(length), filled: 0 };
        return;
      case 'stream':
        if (length > 0) this.#state = { at: 'stream', type, remaining: length };
        return;
      case 'skip':
        if (length > 0) this.#state = { at: 'skip', remaining: length };
        return;
    }
  }
}

/** Convenience for tests and one-shot parsing: `H3Error` if the bytes end inside an item. */
export function readAllTlv(reader: TlvReader, bytes: Uint8Array): TlvEvent[] {
  const events: TlvEvent[] = [];
  reader.push(bytes, (e) => events.push(e));
  if (!reader.atBoundary) throw H3Error.frame('truncated');
  return events;
}
