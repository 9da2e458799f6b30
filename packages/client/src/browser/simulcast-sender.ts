// Camera track -> MediaStreamTrackProcessor -> one VideoEncoder per simulcast layer -> one publication per layer.
// Each captured VideoFrame is handed to every active layer's encoder (the encoder scales it to the layer's size) and
// closed right after; each encoder is closed with the sender. A BitrateController sets each layer's bitrate and
// pauses layers from transport backlog / drops and StreamQualityUpdate. Key frames are per layer: a request for
// one layer's stream id (a subscriber switching to it) makes only that encoder send one.
import { BitrateController, type LayerTarget } from '../media/bitrate-controller.ts';
import type { PublishedLayer, SimulcastPublication } from '../media/simulcast-publication.ts';
import { Scope } from '../core/scope.ts';
import { TrackFrames } from './drain-and-cancel.ts';
import { trackProcessor, webCodecsVideoCodec } from './webcodecs-types.ts';

export interface SimulcastSenderOptions {
  /** A key frame at least this often on each layer (default 2 s): new subscribers and switches recover quickly. */
  readonly keyIntervalMs?: number;
  /** How often transport stats feed the bitrate controller (default 500 ms). */
  readonly adaptEveryMs?: number;
}

export interface LayerSenderStats {
  readonly layerId: string;
  readonly width: number;
  readonly height: number;
  framesEncoded: number;
  framesDropped: number;
  keyFrames: number;
  bitrate: number;
  active: boolean;
}

interface Layer {
  readonly spec: PublishedLayer;
  readonly encoder: VideoEncoder;
  config: VideoEncoderConfig;
  forceKey: boolean;
  lastKeyAt: number;
  active: boolean;
  /** Capture time (us) and sequence per frame timestamp, until the encoder returns the chunk. */
  readonly pending: Map<number, { capturedUs: number; sequence: number }>;
  readonly stats: LayerSenderStats;
}

/** Reconfiguring an encoder costs a key frame on some codecs: only for changes of more than this share. */
const RECONFIGURE_SHARE = 0.15;

export class SimulcastVideoSender implements AsyncDisposable {
  readonly #scope = new Scope();
  readonly #publication: SimulcastPublication;
  readonly #layers: Layer[] = [];
  readonly #controller: BitrateController;
  readonly #keyIntervalMs: number;
  readonly stats = { framesIn: 0, layers: [] as LayerSenderStats[] };
  readonly done: Promise<void>;

  constructor(
    track: MediaStreamTrack,
    publication: SimulcastPublication,
    options: SimulcastSenderOptions = {},
  ) {
    this.#publication = publication;
    this.#keyIntervalMs = options.keyIntervalMs ?? 2_000;
    const codec = webCodecsVideoCodec(publication.group.codec);
    for (const spec of publication.layers) {
      const stats: LayerSenderStats = {
        layerId: spec.layerId,
        width: spec.width,
        height: spec.height,
        framesEncoded: 0,
        framesDropped: 0,
        keyFrames: 0,
        bitrate: spec.maxBitrate,
        active: true,
      };
      // The encoder's callbacks need the layer the encoder belongs to.
      const self: { layer?: Layer } = {};
      const encoder = new VideoEncoder({
        output: (chunk) => {
          if (self.layer !== undefined) this.#onChunk(self.layer, chunk);
        },
        error: () => {
          if (self.layer !== undefined) self.layer.forceKey = true;
        },
      });
      this.#scope.defer(() => {
        if (encoder.state !== 'closed') encoder.close();
      });
      const config: VideoEncoderConfig = {
        codec,
        width: spec.width,
        height: spec.height,
        bitrate: spec.maxBitrate,
        framerate: spec.maxFramerate,
        latencyMode: 'realtime',
        // VP9 and AV1 encode one spatial layer per encoder here (simulcast, not SVC).
        ...(codec.startsWith('vp09') || codec.startsWith('av01') ? { scalabilityMode: 'L1T1' } : {}),
      };
      encoder.configure(config);
      const layer: Layer = {
        spec,
        encoder,
        config,
        forceKey: true,
        lastKeyAt: 0,
        active: true,
        pending: new Map(),
        stats,
      };
      self.layer = layer;
      this.#layers.push(layer);
      this.stats.layers.push(stats);
      this.#scope.defer(
        spec.publication.events.on('keyframeRequested', () => {
          layer.forceKey = true;
        }),
      );
    }
    this.#controller = new BitrateController(
      publication.layers.map((l) => ({ layerId: l.layerId, maxBitrate: l.maxBitrate })),
      { mode: 'simulcast' },
    );
    const timer = setInterval(() => {
      this.#adapt();
    }, options.adaptEveryMs ?? 500);
    this.#scope.defer(() => {
      clearInterval(timer);
    });
    const Processor = trackProcessor();
    const frames = new TrackFrames<VideoFrame>(
      track,
      (own) => new Processor<VideoFrame>({ track: own, maxBufferSize: 2 }).readable,
    );
    this.#scope.defer(async () => {
      await frames.end();
      await this.done;
    });
    this.done = this.#pump(frames);
  }

  get streamId(): string {
    return this.#publication.streamId;
  }

  /** A subscriber's StreamQualityUpdate.available_bitrate for this stream (bps). */
  onSubscriberHint(bps: number): void {
    this.#controller.onSubscriberHint(Date.now(), bps);
    this.#apply(this.#controller.targets(Date.now()));
  }

  /** A key frame on every layer now (e.g. after a device swap). */
  requestKeyframe(): void {
    for (const l of this.#layers) l.forceKey = true;
  }

  /** The bitrate controller's current targets, low to high. */
  get targets(): LayerTarget[] {
    return this.#controller.targets(Date.now());
  }

  #adapt(): void {
    let backlog = 0;
    let dropped = 0;
    for (const l of this.#layers) {
      backlog += l.spec.publication.backlog;
      dropped += l.stats.framesDropped + l.spec.publication.stats.framesDropped;
    }
    const now = Date.now();
    this.#controller.onTransport({ nowMs: now, backlog, framesDropped: dropped });
    this.#apply(this.#controller.targets(now));
  }

  #apply(targets: readonly LayerTarget[]): void {
    for (const t of targets) {
      const l = this.#layers.find((x) => x.spec.layerId === t.layerId);
      if (l === undefined) continue;
      if (t.active && !l.active) l.forceKey = true; // resuming: subscribers need a key frame to start from
      l.active = t.active;
      l.stats.active = t.active;
      if (!t.active || l.encoder.state !== 'configured') continue;
      const current = l.config.bitrate ?? 0;
      if (Math.abs(t.bitrate - current) <= current * RECONFIGURE_SHARE) continue;
      l.config = { ...l.config, bitrate: t.bitrate };
      l.stats.bitrate = t.bitrate;
      l.encoder.configure(l.config);
    }
  }

  async #pump(frames: TrackFrames<VideoFrame>): Promise<void> {
    try {
      for (;;) {
        const frame = await frames.read();
        if (frame === undefined) return;
        try {
          this.stats.framesIn++;
          this.#encode(frame);
        } finally {
          frame.close();
        }
      }
    } catch {
      // the track ended or the sender closed
    }
  }

  #encode(frame: VideoFrame): void {
    const now = Date.now();
    // One sequence per captured frame across layers: a subscriber moved between layers sees one numbering.
    const sequence = this.#publication.nextSequence();
    for (const l of this.#layers) {
      if (!l.active) continue;
      const backlog = l.spec.publication.backlog;
      // Behind (encoder queue or transport): drop this frame on this layer; its next sent frame is a key frame.
      if (l.encoder.state !== 'configured' || l.encoder.encodeQueueSize > 2 || backlog > 8) {
        l.stats.framesDropped++;
        if (backlog > 8) l.forceKey = true;
        continue;
      }
      const key = l.forceKey || now - l.lastKeyAt >= this.#keyIntervalMs;
      if (key) {
        l.forceKey = false;
        l.lastKeyAt = now;
      }
      l.pending.set(frame.timestamp, { capturedUs: now * 1000, sequence });
      if (l.pending.size > 64) l.pending.delete(l.pending.keys().next().value ?? 0);
      l.encoder.encode(frame, { keyFrame: key });
    }
  }

  #onChunk(l: Layer, chunk: EncodedVideoChunk): void {
    const data = new Uint8Array(chunk.byteLength);
    chunk.copyTo(data);
    const meta = l.pending.get(chunk.timestamp);
    l.pending.delete(chunk.timestamp);
    l.stats.framesEncoded++;
    const key = chunk.type === 'key';
    if (key) l.stats.keyFrames++;
    void l.spec.publication
      .send({
        data,
        key,
        timestampUs: meta?.capturedUs ?? Date.now() * 1000,
        ...(meta === undefined ? {} : { sequence: meta.sequence }),
      })
      .catch(() => undefined);
  }

  /** Stops encoding; closes every encoder. The publication stays (LocalMedia closes it). Idempotent. */
  async close(): Promise<void> {
    await this.#scope.close();
    await this.done;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
