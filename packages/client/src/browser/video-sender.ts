// Camera / screen track -> MediaStreamTrackProcessor -> VideoEncoder -> publication. Every VideoFrame is closed
// right after it is handed to the encoder (or dropped); the encoder is closed with the sender.
import type { LocalPublication } from '../meeting/local-publication.ts';
import { Scope } from '../core/scope.ts';
import { TrackFrames } from './drain-and-cancel.ts';
import { trackProcessor, webCodecsVideoCodec } from './webcodecs-types.ts';

export interface VideoSenderOptions {
  readonly codec?: string;
  readonly width?: number;
  readonly height?: number;
  readonly bitrate?: number;
  readonly framerate?: number;
  /** A key frame at least this often (default 2 s): new subscribers and slot changes recover quickly. */
  readonly keyIntervalMs?: number;
}

export class VideoSender implements AsyncDisposable {
  readonly #scope = new Scope();
  readonly #publication: LocalPublication;
  readonly #captureTimes = new Map<number, number>();
  #encoder: VideoEncoder | undefined;
  #config: VideoEncoderConfig | undefined;
  #forceKey = true;
  #lastKeyAt = 0;
  #keyIntervalMs: number;
  readonly stats = { framesIn: 0, framesEncoded: 0, framesDropped: 0, lastEncodeMs: 0, lastSendMs: 0 };
  readonly done: Promise<void>;

  constructor(track: MediaStreamTrack, publication: LocalPublication, options: VideoSenderOptions = {}) {
    this.#publication = publication;
    this.#keyIntervalMs = options.keyIntervalMs ?? 2_000;
    const settings = track.getSettings();
    const width = options.width ?? settings.width ?? 640;
    const height = options.height ?? settings.height ?? 480;
    this.#config = {
      codec: webCodecsVideoCodec(options.codec ?? publication.codec),
      width: width - (width % 2),
      height: height - (height % 2),
      bitrate: options.bitrate ?? 800_000,
      framerate: options.framerate ?? settings.frameRate ?? 30,
      latencyMode: 'realtime',
    };
    const encoder = new VideoEncoder({
      output: (chunk) => {
        this.#onChunk(chunk);
      },
      error: () => {
        this.#forceKey = true;
      },
    });
    encoder.configure(this.#config);
    this.#encoder = encoder;
    this.#scope.defer(() => {
      if (encoder.state !== 'closed') encoder.close();
    });
    this.#scope.defer(publication.events.on('keyframeRequested', () => (this.#forceKey = true)));
    this.#scope.defer(
      publication.events.on('bitrateHint', (bps) => {
        if (this.#config === undefined || encoder.state !== 'configured') return;
        const bitrate = Math.max(100_000, Math.min(options.bitrate ?? 800_000, Math.round(bps * 0.9)));
        if (Math.abs(bitrate - (this.#config.bitrate ?? 0)) < 50_000) return;
        this.#config = { ...this.#config, bitrate };
        encoder.configure(this.#config);
        this.#forceKey = true;
      }),
    );
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

  requestKeyframe(): void {
    this.#forceKey = true;
  }

  async #pump(frames: TrackFrames<VideoFrame>): Promise<void> {
    try {
      for (;;) {
        const frame = await frames.read();
        if (frame === undefined) return;
        try {
          this.stats.framesIn++;
          const encoder = this.#encoder;
          // Behind (encoder queue or transport): drop this frame; the next sent one is a key frame.
          if (
            encoder?.state !== 'configured' ||
            encoder.encodeQueueSize > 2 ||
            this.#publication.backlog > 8
          ) {
            this.stats.framesDropped++;
            if (this.#publication.backlog > 8) this.#forceKey = true;
            continue;
          }
          const now = Date.now();
          const key = this.#forceKey || now - this.#lastKeyAt >= this.#keyIntervalMs;
          if (key) {
            this.#forceKey = false;
            this.#lastKeyAt = now;
          }
          this.#captureTimes.set(frame.timestamp, now * 1000);
          if (this.#captureTimes.size > 64)
            this.#captureTimes.delete(this.#captureTimes.keys().next().value ?? 0);
          encoder.encode(frame, { keyFrame: key });
        } finally {
          frame.close();
        }
      }
    } catch {
      // the track ended or the sender closed
    }
  }

  #onChunk(chunk: EncodedVideoChunk): void {
    const data = new Uint8Array(chunk.byteLength);
    chunk.copyTo(data);
    const capturedUs = this.#captureTimes.get(chunk.timestamp) ?? Date.now() * 1000;
    this.#captureTimes.delete(chunk.timestamp);
    this.stats.framesEncoded++;
    const now = Date.now();
    this.stats.lastEncodeMs = now - capturedUs / 1000;
    void this.#publication.send({ data, key: chunk.type === 'key', timestampUs: capturedUs }).then(
      () => {
        this.stats.lastSendMs = Date.now() - now;
      },
      () => undefined,
    );
  }

  async close(): Promise<void> {
    this.#encoder = undefined;
    await this.#scope.close();
    await this.done;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
