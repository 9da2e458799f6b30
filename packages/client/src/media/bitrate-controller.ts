// Adaptive bitrate for one published video (one or more simulcast layers). Two inputs:
// - the uplink, from transport stats: frames queued on the stream (backlog) or dropped before sending mean the path
//   is full, so the send budget shrinks multiplicatively (at most every 500 ms); after 2 s without either it grows
//   8% a second back towards the sum of the layers' ceilings (AIMD-like, as congestion control does);
// - subscribers, from StreamQualityUpdate (what one subscriber can receive): with simulcast the handler gives every
//   subscriber the layer that fits it, so only the best recent subscriber caps the layers (no layer above what
//   anyone can take); a single-layer stream follows the slowest recent subscriber.
// The budget is handed out low layer first; a layer that cannot get 30% of its ceiling is paused (not encoded), so
// under congestion the top layer goes first and the lowest layer always stays.

export interface BitrateLayer {
  readonly layerId: string;
  readonly maxBitrate: number;
}

export interface LayerTarget {
  readonly layerId: string;
  /** Encoder target (bps); 0 when paused. */
  readonly bitrate: number;
  readonly active: boolean;
}

export interface TransportSample {
  readonly nowMs: number;
  /** Frames queued on the transport and not yet accepted, summed over the layers' streams. */
  readonly backlog: number;
  /** Frames dropped before sending, a running total over the layers. */
  readonly framesDropped: number;
}

export interface BitrateControllerOptions {
  /** 'simulcast': cap at the best subscriber's hint; 'single': follow the slowest. Default 'simulcast'. */
  readonly mode?: 'simulcast' | 'single';
  /** No layer is driven below this (bps). Default 50 kbit/s. */
  readonly floorBps?: number;
  /** Subscriber hints count this long. Default 5 s. */
  readonly hintWindowMs?: number;
  /** A backlog of this many frames is congestion. Default 4. */
  readonly congestedBacklog?: number;
}

const DECREASE = 0.85;
const INCREASE = 1.08;
const DECREASE_EVERY_MS = 500;
const INCREASE_AFTER_CLEAN_MS = 2_000;
const INCREASE_EVERY_MS = 1_000;
const ACTIVE_SHARE = 0.3;

export class BitrateController {
  readonly #layers: readonly BitrateLayer[];
  readonly #mode: 'simulcast' | 'single';
  readonly #floor: number;
  readonly #hintWindowMs: number;
  readonly #congestedBacklog: number;
  readonly #ceiling: number;
  #estimate: number;
  #lastDecreaseAt = Number.NEGATIVE_INFINITY;
  #lastIncreaseAt = Number.NEGATIVE_INFINITY;
  #cleanSince: number | undefined;
  #lastDropped: number | undefined;
  #hints: { atMs: number; bps: number }[] = [];

  /** `layers` low to high. */
  constructor(layers: readonly BitrateLayer[], options: BitrateControllerOptions = {}) {
    if (layers.length === 0) throw new RangeError('a bitrate controller needs at least one layer');
    this.#layers = layers;
    this.#mode = options.mode ?? 'simulcast';
    this.#floor = options.floorBps ?? 50_000;
    this.#hintWindowMs = options.hintWindowMs ?? 5_000;
    this.#congestedBacklog = options.congestedBacklog ?? 4;
    this.#ceiling = layers.reduce((sum, l) => sum + l.maxBitrate, 0);
    this.#estimate = this.#ceiling;
  }

  /** The current uplink budget (bps) for all layers together. */
  get estimate(): number {
    return this.#estimate;
  }

  onTransport(s: TransportSample): void {
    const dropped = this.#lastDropped !== undefined && s.framesDropped > this.#lastDropped;
    this.#lastDropped = s.framesDropped;
    if (s.backlog >= this.#congestedBacklog || dropped) {
      this.#cleanSince = undefined;
      if (s.nowMs - this.#lastDecreaseAt >= DECREASE_EVERY_MS) {
        this.#estimate = Math.max(this.#floor, Math.round(this.#estimate * DECREASE));
        this.#lastDecreaseAt = s.nowMs;
      }
      return;
    }
    this.#cleanSince ??= s.nowMs;
    if (
      s.nowMs - this.#cleanSince >= INCREASE_AFTER_CLEAN_MS &&
      s.nowMs - this.#lastIncreaseAt >= INCREASE_EVERY_MS &&
      this.#estimate < this.#ceiling
    ) {
      this.#estimate = Math.min(this.#ceiling, Math.round(this.#estimate * INCREASE));
      this.#lastIncreaseAt = s.nowMs;
    }
  }

  /** A subscriber's StreamQualityUpdate.available_bitrate (bps). */
  onSubscriberHint(nowMs: number, bps: number): void {
    if (!Number.isFinite(bps) || bps <= 0) return;
    this.#hints = this.#hints.filter((h) => nowMs - h.atMs < this.#hintWindowMs);
    this.#hints.push({ atMs: nowMs, bps });
  }

  targets(nowMs: number): LayerTarget[] {
    const recent = this.#hints.filter((h) => nowMs - h.atMs < this.#hintWindowMs).map((h) => h.bps);
    const cap =
      recent.length === 0
        ? Number.POSITIVE_INFINITY
        : this.#mode === 'simulcast'
          ? Math.max(...recent)
          : Math.min(...recent);
    let budget = this.#estimate;
    return this.#layers.map((layer, i) => {
      const want = Math.min(layer.maxBitrate, cap);
      const needed = layer.maxBitrate * ACTIVE_SHARE;
      const active = i === 0 || (budget >= needed && want >= needed);
      if (!active) return { layerId: layer.layerId, bitrate: 0, active };
      const bitrate = Math.max(this.#floor, Math.round(Math.min(want, budget)));
      budget -= bitrate;
      return { layerId: layer.layerId, bitrate, active };
    });
  }
}
