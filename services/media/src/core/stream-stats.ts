import type { ForwardFrame } from './frame.ts';

export interface StreamStatsSnapshot {
  framesReceived: number;
  bytesReceived: number;
  framesLost: number;
  /** Fraction 0..1 of frames missing from the sequence so far. */
  packetLoss: number;
  /** Bits per second over the last window. */
  bitrate: number;
  /** RFC 3550 interarrival jitter, milliseconds. */
  jitterMs: number;
  /** Last audio level seen (RFC 6464: 0 loudest .. 127 silence); 127 when none. */
  audioLevel: number;
  /** Audio level above the voice threshold recently. */
  voiceActivity: boolean;
}

const WINDOW_MS = 1000;
const VOICE_LEVEL = 60; // -60 dBov and louder counts as speech

/**
 * Receive-side statistics of one published stream, from what the handler can see without decrypting: sizes,
 * sequence numbers (loss = gaps), the publisher's capture timestamps against arrival times (jitter, RFC 3550
 * section 6.4.1 in microsecond units) and the audio level the publisher puts in the clear frame header.
 */
export class StreamStats {
  framesReceived = 0;
  bytesReceived = 0;
  #firstSeq: number | undefined;
  #maxSeq = -1;
  #jitterUs = 0;
  #lastTransitUs: number | undefined;
  #windowStart = 0;
  #windowBytes = 0;
  #bitrate = 0;
  #audioLevel = 127;

  /** `arrivalUs`: the handler's wall clock in microseconds since the epoch. */
  record(frame: ForwardFrame, arrivalUs: number, nowMs: number): void {
    this.framesReceived++;
    this.bytesReceived += frame.wire.byteLength;
    if (this.#firstSeq === undefined || frame.sequence < this.#firstSeq) this.#firstSeq = frame.sequence;
    if (frame.sequence > this.#maxSeq) this.#maxSeq = frame.sequence;
    const transit = arrivalUs - frame.timestampUs;
    if (this.#lastTransitUs !== undefined) {
      const d = Math.abs(transit - this.#lastTransitUs);
      this.#jitterUs += (d - this.#jitterUs) / 16;
    }
    this.#lastTransitUs = transit;
    if (frame.audioLevel !== undefined) this.#audioLevel = frame.audioLevel;
    this.#roll(nowMs);
    this.#windowBytes += frame.wire.byteLength;
  }

  snapshot(nowMs: number): StreamStatsSnapshot {
    this.#roll(nowMs);
    const expected = this.#firstSeq === undefined ? 0 : this.#maxSeq - this.#firstSeq + 1;
    const lost = Math.max(0, expected - this.framesReceived);
    return {
      framesReceived: this.framesReceived,
      bytesReceived: this.bytesReceived,
      framesLost: lost,
      packetLoss: expected > 0 ? lost / expected : 0,
      bitrate: this.#bitrate,
      jitterMs: this.#jitterUs / 1000,
      audioLevel: this.#audioLevel,
      voiceActivity: this.#audioLevel <= VOICE_LEVEL,
    };
  }

  #roll(nowMs: number): void {
    const elapsed = nowMs - this.#windowStart;
    if (elapsed < WINDOW_MS) return;
    // A window that ended long ago says nothing about the present rate.
    this.#bitrate = elapsed < 2 * WINDOW_MS ? Math.round((this.#windowBytes * 8 * 1000) / elapsed) : 0;
    this.#windowStart = nowMs;
    this.#windowBytes = 0;
  }
}
