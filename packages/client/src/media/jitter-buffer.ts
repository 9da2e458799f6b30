// A per-stream reorder and playout buffer. Frames are released in sequence order at
// capture time + the participant's playout offset, so a participant's audio and video (same sender clock) leave
// the buffers in step: audio/video sync within the jitter of the two paths.
import type { FrameHeader } from '@darktower/protocol';

export interface BufferedFrame<T> {
  readonly header: FrameHeader;
  readonly item: T;
  readonly receivedAtUs: number;
}

/**
 * Shared by the streams of one participant: offset = min over a window of (arrival - capture) + target delay.
 * The minimum tracks the fastest path (clock offset + base latency); the delay absorbs jitter.
 */
export class PlayoutClock {
  readonly #targetDelayUs: number;
  readonly #windowUs: number;
  #minTransitUs = Number.POSITIVE_INFINITY;
  #minAtUs = 0;

  constructor(options: { targetDelayMs?: number; windowMs?: number } = {}) {
    this.#targetDelayUs = (options.targetDelayMs ?? 60) * 1000;
    this.#windowUs = (options.windowMs ?? 5_000) * 1000;
  }

  observe(captureUs: number, arrivalUs: number): void {
    const transit = arrivalUs - captureUs;
    if (transit <= this.#minTransitUs || arrivalUs - this.#minAtUs > this.#windowUs) {
      this.#minTransitUs = transit;
      this.#minAtUs = arrivalUs;
    }
  }

  /** When a frame captured at `captureUs` should be played (local clock, µs). */
  playoutAt(captureUs: number): number {
    const transit = Number.isFinite(this.#minTransitUs) ? this.#minTransitUs : 0;
    return captureUs + transit + this.#targetDelayUs;
  }
}

export class JitterBuffer<T> {
  readonly #clock: PlayoutClock;
  readonly #capacity: number;
  readonly #onDrop: (item: T) => void;
  #frames: BufferedFrame<T>[] = [];
  #lastReleased = -1;
  /** Frames dropped: late (behind the last released), duplicate, or over capacity. */
  dropped = 0;

  /** `onDrop` releases what a dropped item holds (e.g. closes a chunk); nothing leaks from the buffer. */
  constructor(clock: PlayoutClock, options: { capacity?: number; onDrop?: (item: T) => void } = {}) {
    this.#clock = clock;
    this.#capacity = options.capacity ?? 256;
    this.#onDrop = options.onDrop ?? (() => undefined);
  }

  get size(): number {
    return this.#frames.length;
  }

  push(header: FrameHeader, item: T, receivedAtUs: number): void {
    this.#clock.observe(header.timestamp, receivedAtUs);
    if (
      header.sequence <= this.#lastReleased ||
      this.#frames.some((f) => f.header.sequence === header.sequence)
    ) {
      this.dropped++;
      this.#onDrop(item);
      return;
    }
    const frame = { header, item, receivedAtUs };
    let i = this.#frames.length;
    while (i > 0 && (this.#frames[i - 1]?.header.sequence ?? 0) > header.sequence) i--;
    this.#frames.splice(i, 0, frame);
    while (this.#frames.length > this.#capacity) {
      const old = this.#frames.shift();
      if (old !== undefined) {
        this.dropped++;
        this.#lastReleased = old.header.sequence;
        this.#onDrop(old.item);
      }
    }
  }

  /** Frames due at `nowUs`, in sequence order. */
  pop(nowUs: number): BufferedFrame<T>[] {
    const out: BufferedFrame<T>[] = [];
    while (this.#frames.length > 0) {
      const first = this.#frames[0];
      if (first === undefined || this.#clock.playoutAt(first.header.timestamp) > nowUs) break;
      this.#frames.shift();
      this.#lastReleased = first.header.sequence;
      out.push(first);
    }
    return out;
  }

  /** Microseconds until the next frame is due (undefined when empty). */
  nextDueInUs(nowUs: number): number | undefined {
    const first = this.#frames[0];
    return first === undefined
      ? undefined
      : Math.max(0, this.#clock.playoutAt(first.header.timestamp) - nowUs);
  }

  /** Drops everything (e.g. the stream's source changed). */
  clear(): void {
    for (const f of this.#frames) this.#onDrop(f.item);
    this.#frames = [];
    this.#lastReleased = -1;
  }
}
