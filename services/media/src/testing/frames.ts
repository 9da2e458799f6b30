import { createHash } from 'node:crypto';
import type { ForwardFrame, FrameKind, FrameSink } from '../core/frame.ts';
import { streamIdToBytes, type StreamId } from '../ids.ts';

/** A synthetic frame with a 46-byte header (stream id at offset 2) and a recognisable payload. */
export function makeFrame(
  streamId: StreamId,
  kind: FrameKind,
  sequence: number,
  payloadLength = 100,
  origin: 'client' | 'cascade' = 'client',
): ForwardFrame {
  const wire = new Uint8Array(46 + payloadLength);
  wire[0] = 1;
  wire[1] = kind === 'audio' ? 0 : kind === 'key' ? 1 : 2;
  streamIdToBytes(streamId, wire, 2);
  new DataView(wire.buffer).setBigUint64(26, BigInt(sequence));
  for (let i = 46; i < wire.length; i++) wire[i] = (sequence * 31 + i) & 0xff;
  return { streamId, kind, sequence, timestampUs: Date.now() * 1000, wire, payloadLength, origin };
}

export function checksum(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A sink that records what it was given; `block()` makes it stop accepting (a subscriber that does not read). */
export class RecordingSink implements FrameSink {
  /** What the subscriber would read: header (relabelled, if so) + payload. */
  readonly written: Uint8Array[] = [];
  /** The buffers handed over, to check that payloads are shared rather than copied. */
  readonly handed: { wire: Uint8Array; header: Uint8Array | undefined }[] = [];
  closed = false;
  #blocked: Promise<void> | undefined;
  #release: (() => void) | undefined;

  write(wire: Uint8Array, header?: Uint8Array): void | Promise<void> {
    this.handed.push({ wire, header });
    if (header === undefined) this.written.push(wire);
    else {
      const joined = new Uint8Array(wire.byteLength);
      joined.set(header);
      joined.set(wire.subarray(header.byteLength), header.byteLength);
      this.written.push(joined);
    }
    return this.#blocked;
  }
  close(): void {
    this.closed = true;
  }
  block(): void {
    this.#blocked = new Promise((resolve) => (this.#release = resolve));
  }
  unblock(): void {
    this.#blocked = undefined;
    this.#release?.();
  }
  sequences(): number[] {
    return this.written.map((w) => Number(new DataView(w.buffer, w.byteOffset).getBigUint64(26)));
  }
}
