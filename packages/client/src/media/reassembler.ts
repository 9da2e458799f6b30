// Joins fragments (same timestamp, consecutive sequence numbers, endOfFrame on the last) into whole frames.
// Bounded: at most `maxBytes` pending per stream; a gap drops the partial frame.
import type { FrameHeader } from '@darktower/protocol';

export interface WholeFrame {
  readonly header: FrameHeader;
  readonly payload: Uint8Array;
}

export class Reassembler {
  readonly #maxBytes: number;
  #parts: Uint8Array[] = [];
  #bytes = 0;
  #first: FrameHeader | undefined;
  #lastSeq = -1;
  #brokenTimestamp = -1;
  /** Partial frames given up on (gap, size). */
  dropped = 0;

  constructor(maxBytes = 4 << 20) {
    this.#maxBytes = maxBytes;
  }

  push(header: FrameHeader, payload: Uint8Array): WholeFrame | undefined {
    // The rest of a frame already given up on (all its fragments share its timestamp).
    if (header.timestamp === this.#brokenTimestamp) return undefined;
    if (this.#first !== undefined) {
      const continues = header.sequence === this.#lastSeq + 1 && header.timestamp === this.#first.timestamp;
      if (!continues) this.#reset(true);
      if (header.timestamp === this.#brokenTimestamp) return undefined;
    }
    if (this.#first === undefined && header.endOfFrame) return { header, payload };
    this.#first ??= header;
    this.#lastSeq = header.sequence;
    this.#bytes += payload.length;
    if (this.#bytes > this.#maxBytes) {
      this.#reset(true);
      return undefined;
    }
    this.#parts.push(payload.slice());
    if (!header.endOfFrame) return undefined;
    const out = new Uint8Array(this.#bytes);
    let at = 0;
    for (const p of this.#parts) {
      out.set(p, at);
      at += p.length;
    }
    const whole: FrameHeader = {
      ...this.#first,
      payloadLength: out.length,
      endOfFrame: true,
      sequence: header.sequence,
    };
    this.#reset(false);
    return { header: whole, payload: out };
  }

  #reset(drop: boolean): void {
    if (drop && this.#first !== undefined) {
      this.dropped++;
      this.#brokenTimestamp = this.#first.timestamp;
    }
    this.#parts = [];
    this.#bytes = 0;
    this.#first = undefined;
    this.#lastSeq = -1;
  }
}
