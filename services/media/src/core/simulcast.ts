import type { StreamId } from '../ids.ts';
import type { ForwardFrame } from './frame.ts';

export interface LayerInfo {
  streamId: StreamId;
  /** The publisher's name for the layer (SimulcastLayer.layer_id), what subscribers ask for by. */
  layerId?: string | undefined;
  /** Declared maximum bitrate of the layer (bps). */
  maxBitrate: number;
  /** Measured bitrate (bps) when known; preferred over the declared one. */
  measuredBitrate?: number | undefined;
  /**
   * No frames lately while another layer of the group flows: the publisher paused it (adaptive bitrate), so
   * nobody is switched to it (they would wait for a key frame that does not come).
   */
  paused?: boolean | undefined;
}

/**
 * Picks the layer for one subscriber: the highest layer not above what its layout slot calls for
 * (`maxLayer`, an index into `layers` ordered low to high) whose bitrate fits the subscriber's available
 * bandwidth. The lowest layer is the floor: a subscriber always gets something.
 */
export function selectLayer(layers: readonly LayerInfo[], maxLayer: number, availableBps: number): number {
  const top = Math.min(maxLayer, layers.length - 1);
  for (let i = top; i > 0; i--) {
    const layer = layers[i];
    if (layer === undefined || layer.paused === true) continue;
    const bitrate = layer.measuredBitrate ?? layer.maxBitrate;
    if (bitrate <= availableBps) return i;
  }
  return 0;
}

type SwitchState =
  | { state: 'starting'; target: number }
  | { state: 'stable'; current: number }
  | { state: 'switching'; current: number; target: number };

/**
 * Which simulcast layer one subscriber receives. Layers change only at a key frame of the new layer (a delta
 * frame of another layer cannot be decoded against the old one); until then the old layer keeps flowing.
 */
export class LayerSwitch {
  readonly layers: readonly StreamId[];
  readonly #onKeyframeNeeded: (layer: StreamId) => void;
  readonly #first: StreamId;
  #state: SwitchState;
  switches = 0;

  constructor(layers: readonly StreamId[], initial: number, onKeyframeNeeded: (layer: StreamId) => void) {
    const first = layers[0];
    if (first === undefined) throw new RangeError('a simulcast group needs at least one layer');
    this.#first = first;
    this.layers = layers;
    this.#onKeyframeNeeded = onKeyframeNeeded;
    this.#state = { state: 'starting', target: this.#clamp(initial) };
  }

  /** Waiting for a key frame of the target layer (starting, or switching). */
  get waiting(): boolean {
    return this.#state.state !== 'stable';
  }

  /** The layer being forwarded now, if any. */
  get current(): StreamId | undefined {
    return this.#state.state === 'starting' ? undefined : this.layers[this.#state.current];
  }

  /** The layer a key frame is awaited from (the target while switching, else the current). */
  get wanted(): StreamId {
    const s = this.#state;
    const index = s.state === 'stable' ? s.current : s.target;
    return this.layers[index] ?? this.#first;
  }

  setTarget(index: number): void {
    const target = this.#clamp(index);
    const s = this.#state;
    switch (s.state) {
      case 'starting':
        if (s.target === target) return;
        this.#state = { state: 'starting', target };
        break;
      case 'stable':
        if (s.current === target) return;
        this.#state = { state: 'switching', current: s.current, target };
        break;
      case 'switching':
        if (s.target === target) return;
        this.#state =
          s.current === target
            ? { state: 'stable', current: target }
            : { state: 'switching', current: s.current, target };
        if (this.#state.state === 'stable') return;
        break;
      default: {
        const never: never = s;
        return never;
      }
    }
    this.#onKeyframeNeeded(this.wanted);
  }

  /** True when this frame should go to the subscriber; switches layers on the target's key frame. */
  accept(frame: ForwardFrame): boolean {
    const s = this.#state;
    const index = this.layers.indexOf(frame.streamId);
    if (index < 0) return false;
    switch (s.state) {
      case 'stable':
        return index === s.current;
      case 'starting':
        if (index === s.target && frame.kind === 'key') {
          this.#state = { state: 'stable', current: index };
          return true;
        }
        return false;
      case 'switching':
        if (index === s.target && frame.kind === 'key') {
          this.#state = { state: 'stable', current: index };
          this.switches++;
          return true;
        }
        return index === s.current;
      default: {
        const never: never = s;
        return never;
      }
    }
  }

  #clamp(index: number): number {
    return Math.max(0, Math.min(this.layers.length - 1, Math.trunc(index)));
  }
}
