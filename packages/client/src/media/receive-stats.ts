// What a subscriber measures per received stream over a sliding window: bitrate, frame rate and loss (gaps in the
// DART sequence numbers). Drives StreamQualityUpdate (relayed to the publisher) and SubscriberFeedback (to the
// handler), i.e. the receive side of adaptive bitrate.
export interface ReceiveSnapshot {
  readonly bitrateBps: number;
  readonly framesPerSecond: number;
  /** Fraction of frames missing (0..1) from sequence gaps in the window. */
  readonly packetLoss: number;
  /** Suggested send rate for the publisher: back off on loss, probe upwards when clean. */
  readonly availableBitrateBps: number;
}

interface Sample {
  readonly atMs: number;
  readonly bytes: number;
  readonly sequence: number;
}

export class ReceiveStats {
  readonly #windowMs: number;
  #samples: Sample[] = [];

  constructor(windowMs = 2_000) {
    this.#windowMs = windowMs;
  }

  record(sequence: number, bytes: number, atMs: number): void {
    this.#samples.push({ atMs, bytes, sequence });
    this.#trim(atMs);
  }

  snapshot(nowMs: number): ReceiveSnapshot | undefined {
    this.#trim(nowMs);
    const s = this.#samples;
    const first = s[0];
    if (first === undefined || s.length < 2) return undefined;
    const spanMs = Math.max(nowMs - first.atMs, 1);
    const bytes = s.reduce((n, x) => n + x.bytes, 0);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    const seen = new Set<number>();
    for (const x of s) {
      lo = Math.min(lo, x.sequence);
      hi = Math.max(hi, x.sequence);
      seen.add(x.sequence);
    }
    const expected = hi - lo + 1;
    const packetLoss = expected > 0 ? Math.max(0, (expected - seen.size) / expected) : 0;
    const bitrateBps = (bytes * 8 * 1000) / spanMs;
    const factor = packetLoss > 0.1 ? 0.85 : packetLoss < 0.02 ? 1.5 : 1;
    return {
      bitrateBps,
      framesPerSecond: (s.length * 1000) / spanMs,
      packetLoss,
      availableBitrateBps: Math.round(bitrateBps * factor),
    };
  }

  #trim(nowMs: number): void {
    const from = nowMs - this.#windowMs;
    let i = 0;
    while (i < this.#samples.length && (this.#samples[i]?.atMs ?? 0) < from) i++;
    if (i > 0) this.#samples = this.#samples.slice(i);
  }
}
