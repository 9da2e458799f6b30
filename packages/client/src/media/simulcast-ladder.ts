// The simulcast ladder of a camera: three layers at full, 1/2 and 1/4 resolution (low to high, the order the media
// handler expects), each with a bitrate ceiling, and which layer a layout slot of a given size calls for.

export interface SimulcastLayerSpec {
  /** 'q' (quarter), 'h' (half), 'f' (full). */
  readonly layerId: string;
  /** Source size divided by this (4, 2, 1). */
  readonly scaleDown: number;
  readonly width: number;
  readonly height: number;
  readonly maxBitrate: number;
  readonly maxFramerate: number;
}

export interface LadderSource {
  readonly width: number;
  readonly height: number;
  readonly framerate: number;
  /** Bitrate ceiling of the full-resolution layer (bps). */
  readonly maxBitrate: number;
}

const STEPS = [
  { layerId: 'q', scaleDown: 4 },
  { layerId: 'h', scaleDown: 2 },
  { layerId: 'f', scaleDown: 1 },
] as const;

/** Layers smaller than this are not worth a stream of their own (the next one up stands in). */
export const MIN_LAYER_HEIGHT = 90;
export const MIN_LAYER_BITRATE = 50_000;

const even = (n: number): number => Math.max(2, Math.round(n / 2) * 2);

/**
 * The layers for a source, low to high. Bitrate follows pixels to the 0.75 power (smaller pictures need more bits
 * per pixel): a 640x480 camera at 800 kbit/s gets 100, 283 and 800 kbit/s. A small source has fewer layers; the
 * full layer is always there.
 */
export function simulcastLadder(source: LadderSource): SimulcastLayerSpec[] {
  const width = even(source.width);
  const height = even(source.height);
  const out: SimulcastLayerSpec[] = [];
  for (const step of STEPS) {
    const h = even(height / step.scaleDown);
    if (step.scaleDown > 1 && h < MIN_LAYER_HEIGHT) continue;
    const share = Math.pow(1 / (step.scaleDown * step.scaleDown), 0.75);
    out.push({
      layerId: step.layerId,
      scaleDown: step.scaleDown,
      width: even(width / step.scaleDown),
      height: h,
      maxBitrate: Math.max(MIN_LAYER_BITRATE, Math.round(source.maxBitrate * share)),
      maxFramerate: Math.max(1, Math.round(source.framerate)),
    });
  }
  return out;
}

/**
 * The layer a slot of `slot` CSS pixels calls for: the smallest whose picture covers the slot at the device pixel
 * ratio (10% slack, so 320x240 fills a 336x252 tile), else the largest. `layers` low to high.
 */
export function layerForSlot<L extends { readonly width: number; readonly height: number }>(
  layers: readonly L[],
  slot: { readonly width: number; readonly height: number },
  pixelRatio = 1,
): L | undefined {
  const w = slot.width * pixelRatio * 0.9;
  const h = slot.height * pixelRatio * 0.9;
  return layers.find((l) => l.width >= w && l.height >= h) ?? layers.at(-1);
}
