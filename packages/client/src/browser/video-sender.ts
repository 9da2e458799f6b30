// Camera / screen track -> MediaStreamTrackProcessor -> VideoEncoder -> publication. Every VideoFrame is closed
// right after it is handed to the encoder (or dropped); the encoder is closed with the sender.
import type { LocalPublication } from '../meeting/local-publication.ts';
import { Scope } from '../core/scope.ts';
import { TrackFrames } from './drain-and-cancel.ts';
import { trackProcessor, webCodecsVideoCodec } from './webcodecs-types.ts';

/** How long a key frame request waits for the screen's next frame before the last one is encoded again. */
const REPEAT_AFTER_MS = 150;

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
  /**
   * Screen shares only: the last frame encoded, and a timer that encodes it again as a key frame when one is asked
   * for and the track gives no new frame. A still screen yields frames only when something changes, so a
   * subscriber that came after the share's first key frame (the handler asks for one for it) would otherwise see
   * nothing until the screen changed.
   */
  readonly #repeatOnRequest: boolean;
  #last: VideoFrame | undefined;
  #repeatTimer: ReturnType<typeof setTimeout> | undefined;
  readonly stats = { framesIn: 0, framesEncoded: 0, framesDropped: 0, lastEncodeMs: 0, lastSendMs: 0 };
  readonly done: Promise<void>;

  constructor(track: MediaStreamTrack, publication: LocalPublication, options: VideoSenderOptions = {}) {
    this.#publication = publication;
    this.#keyIntervalMs = options.keyIntervalMs ?? 2_000;
    this.#repeatOnRequest = publication.kind === 'screen';
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
    this.#scope.defer(
      publication.events.on('keyframeRequested', () => {
        this.requestKeyframe();
      }),
    );
    this.#scope.defer(() => {
      clearTimeout(this.#repeatTimer);
      this.#last?.close();
      this.#last = undefined;
    });
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
    if (this.#repeatOnRequest && this.#repeatTimer === undefined) {
      this.#repeatTimer = setTimeout(() => {
        this.#repeatTimer = undefined;
        this.#repeatLast();
      }, REPEAT_AFTER_MS);
    }
  }

  /** The key frame asked for, from the last frame, when the (still) screen gave none since. */
  #repeatLast(): void {
    const last = this.#last;
    const encoder = this.#encoder;
    if (!this.#forceKey || last === undefined || encoder?.state !== 'configured') return;
    if (encoder.encodeQueueSize > 2) return;
    const again = new VideoFrame(last, { timestamp: last.timestamp + 1_000 });
    try {
      this.#encode(encoder, again, true);
    } finally {
      again.close();
    }
  }

  /** Encodes `frame` (the caller closes it); a screen share keeps a copy of it for #repeatLast. */
  #encode(encoder: VideoEncoder, frame: VideoFrame, key: boolean): void {
    const now = Date.now();
    if (key) {
      this.#forceKey = false;
      this.#lastKeyAt = now;
    }
    this.#captureTimes.set(frame.timestamp, now * 1000);
    if (this.#captureTimes.size > 64) this.#captureTimes.delete(this.#captureTimes.keys().next().value ?? 0);
    if (this.#repeatOnRequest) {
      this.#last?.close();
      this.#last = frame.clone();
    }
    encoder.encode(frame, { keyFrame: key });
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
          const key = this.#forceKey || Date.now() - this.#lastKeyAt >= this.#keyIntervalMs;
          this.#encode(encoder, frame, key);
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
