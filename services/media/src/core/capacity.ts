/** Load level against the configured bandwidth (adr-0012 "Operational Thresholds"). */
export type CapacityLevel = 'ok' | 'warn' | 'refuse';

export interface CapacityOptions {
  /** Configured bandwidth of this handler, in + out, bits per second. */
  maxBandwidthBps: number;
  /** Fraction at which to warn (default 0.7). */
  warnAt?: number;
  /** Fraction at which new participants are refused (default 0.8). */
  refuseAt?: number;
}

/**
 * Bandwidth accounting of the whole handler. Bytes in and out are added as they happen; `sample` turns them into
 * rates once per reporting tick, and the level follows the rates: 70% warns, 80% refuses new participants.
 */
export class CapacityMeter {
  readonly maxBandwidthBps: number;
  readonly #warnAt: number;
  readonly #refuseAt: number;
  #bytesIn = 0;
  #bytesOut = 0;
  #lastSampleMs: number | undefined;
  bandwidthInBps = 0;
  bandwidthOutBps = 0;
  totalBytesIn = 0;
  totalBytesOut = 0;

  constructor(options: CapacityOptions) {
    if (!(options.maxBandwidthBps > 0)) throw new RangeError('maxBandwidthBps must be > 0');
    this.maxBandwidthBps = options.maxBandwidthBps;
    this.#warnAt = options.warnAt ?? 0.7;
    this.#refuseAt = options.refuseAt ?? 0.8;
  }

  addIn(bytes: number): void {
    this.#bytesIn += bytes;
    this.totalBytesIn += bytes;
  }

  addOut(bytes: number): void {
    this.#bytesOut += bytes;
    this.totalBytesOut += bytes;
  }

  /** Computes rates since the previous sample; call on a steady tick (e.g. every second). */
  sample(nowMs: number): void {
    if (this.#lastSampleMs !== undefined) {
      const elapsed = nowMs - this.#lastSampleMs;
      if (elapsed <= 0) return;
      this.bandwidthInBps = Math.round((this.#bytesIn * 8 * 1000) / elapsed);
      this.bandwidthOutBps = Math.round((this.#bytesOut * 8 * 1000) / elapsed);
    }
    this.#lastSampleMs = nowMs;
    this.#bytesIn = 0;
    this.#bytesOut = 0;
  }

  get utilization(): number {
    return (this.bandwidthInBps + this.bandwidthOutBps) / this.maxBandwidthBps;
  }

  get level(): CapacityLevel {
    const u = this.utilization;
    if (u >= this.#refuseAt) return 'refuse';
    if (u >= this.#warnAt) return 'warn';
    return 'ok';
  }

  get acceptsParticipants(): boolean {
    return this.level !== 'refuse';
  }
}
