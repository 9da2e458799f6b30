// Synthetic media for bots and tests: frames whose payload carries a magic, the stream-local frame number, the
// capture time and a checksum, so a receiver can prove it got exactly what was sent, in order, and measure latency.
import type { EncodedMediaFrame } from '../media/local-media-stream.ts';

const MAGIC = 0x44545359; // "DTSY"
export const SYNTHETIC_HEADER_BYTES = 20;

export interface SyntheticFrameInfo {
  readonly index: number;
  readonly capturedAtUs: number;
  readonly size: number;
}

/** FNV-1a over the body (after the 20-byte header). */
function checksum(bytes: Uint8Array, from: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < bytes.length; i++) {
    h ^= bytes[i] ?? 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Builds synthetic frame `index` of `size` bytes (at least the header). */
export function syntheticPayload(index: number, size: number, capturedAtUs: number): Uint8Array {
  const bytes = new Uint8Array(Math.max(SYNTHETIC_HEADER_BYTES, size));
  for (let i = SYNTHETIC_HEADER_BYTES; i < bytes.length; i++) bytes[i] = (index * 31 + i * 7) & 0xff;
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC);
  view.setUint32(4, index >>> 0);
  view.setFloat64(8, capturedAtUs);
  view.setUint32(16, checksum(bytes, SYNTHETIC_HEADER_BYTES));
  return bytes;
}

/** Parses and verifies a synthetic payload; undefined when it is not one or the checksum is wrong. */
export function readSyntheticPayload(bytes: Uint8Array): SyntheticFrameInfo | undefined {
  if (bytes.length < SYNTHETIC_HEADER_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== MAGIC) return undefined;
  if (view.getUint32(16) !== checksum(bytes, SYNTHETIC_HEADER_BYTES)) return undefined;
  return { index: view.getUint32(4), capturedAtUs: view.getFloat64(8), size: bytes.length };
}

export interface SyntheticSourceOptions {
  readonly kind: 'audio' | 'video';
  /** Frames per second (default 50 for audio, 30 for video). */
  readonly fps?: number;
  /** Payload bytes (default 80 audio, 2000 video delta; key frames are 4x). */
  readonly size?: number;
  /** A key frame every n frames (video; default 60). */
  readonly keyInterval?: number;
  readonly clock?: () => number;
}

/** Generates frames on demand (pull) or on a timer (`run`). */
export class SyntheticSource {
  readonly #o: Required<Omit<SyntheticSourceOptions, 'clock'>> & { clock: () => number };
  #index = 0;
  #forceKey = true;

  constructor(options: SyntheticSourceOptions) {
    const audio = options.kind === 'audio';
    this.#o = {
      kind: options.kind,
      fps: options.fps ?? (audio ? 50 : 30),
      size: options.size ?? (audio ? 80 : 2000),
      keyInterval: options.keyInterval ?? 60,
      clock: options.clock ?? (() => Date.now() * 1000),
    };
  }

  requestKeyframe(): void {
    this.#forceKey = true;
  }

  next(): EncodedMediaFrame {
    const index = this.#index++;
    const audio = this.#o.kind === 'audio';
    const key = !audio && (this.#forceKey || index % this.#o.keyInterval === 0);
    this.#forceKey = false;
    const now = this.#o.clock();
    const data = syntheticPayload(index, key ? this.#o.size * 4 : this.#o.size, now);
    return audio
      ? { data, key: false, timestampUs: now, audioLevel: { level: 30, voiceActivity: true } }
      : { data, key, timestampUs: now };
  }

  /** Calls `send` with a frame every 1/fps s until `signal` aborts; resolves then. */
  async run(send: (frame: EncodedMediaFrame) => Promise<void>, signal: AbortSignal): Promise<void> {
    const interval = 1000 / this.#o.fps;
    let due = Date.now();
    while (!signal.aborted) {
      await send(this.next()).catch(() => undefined);
      due += interval;
      const wait = Math.max(0, due - Date.now());
      // The abort listener goes when the wait ends: one left per frame on the run's long-lived signal was a leak
      // (a listener, a closure and a timer per frame, and an ever longer listener list to walk on every add).
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(t);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const t = setTimeout(done, wait);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }
}
