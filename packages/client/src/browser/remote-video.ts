// One forwarded video stream (a layout slot or a direct subscription): jitter buffer -> VideoDecoder -> canvas.
// Waits for a key frame after (re)start; every decoded VideoFrame is closed once drawn.
import { FrameType } from '@darktower/protocol';
import { Scope } from '../core/scope.ts';
import { JitterBuffer, type PlayoutClock } from '../media/jitter-buffer.ts';
import type { RemoteFrame } from '../meeting/meeting-types.ts';
import { webCodecsVideoCodec } from './webcodecs-types.ts';

export interface VideoRenderStats {
  framesDecoded: number;
  framesDrawn: number;
  /** Capture-to-render latency samples, ms (the last 600). */
  glassToGlassMs: number[];
  /** Capture-to-arrival latency samples, ms (the last 600): the network and forwarding part. */
  transitMs: number[];
  firstFrameAt: number | undefined;
}

export class RemoteVideo implements AsyncDisposable {
  readonly canvas: HTMLCanvasElement;
  readonly stats: VideoRenderStats = {
    framesDecoded: 0,
    framesDrawn: 0,
    glassToGlassMs: [],
    transitMs: [],
    firstFrameAt: undefined,
  };
  readonly #scope = new Scope();
  readonly #buffer: JitterBuffer<RemoteFrame>;
  readonly #requestKeyframe: () => void;
  #decoder: VideoDecoder | undefined;
  #codec = '';
  #needKey = true;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sourceStreamId = '';

  constructor(clock: PlayoutClock, requestKeyframe: () => void, canvas?: HTMLCanvasElement) {
    this.canvas = canvas ?? document.createElement('canvas');
    this.#requestKeyframe = requestKeyframe;
    this.#buffer = new JitterBuffer<RemoteFrame>(clock, { capacity: 120 });
    this.#scope.defer(() => {
      clearTimeout(this.#timer);
    });
    this.#scope.defer(() => {
      this.#closeDecoder();
    });
  }

  push(frame: RemoteFrame): void {
    if (this.#scope.closed) return;
    if (frame.sourceStreamId !== this.#sourceStreamId) {
      // The slot shows another source now: start over from its next key frame.
      this.#sourceStreamId = frame.sourceStreamId;
      this.#buffer.clear();
      this.#needKey = true;
    }
    this.#buffer.push(frame.header, frame, frame.receivedAtUs);
    this.stats.transitMs.push((frame.receivedAtUs - frame.header.timestamp) / 1000);
    if (this.stats.transitMs.length > 600) this.stats.transitMs.shift();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    const due = this.#buffer.nextDueInUs(Date.now() * 1000);
    if (due === undefined) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#drain();
        this.#schedule();
      },
      Math.ceil(due / 1000),
    );
  }

  #drain(): void {
    for (const { item } of this.#buffer.pop(Date.now() * 1000)) this.#decode(item);
  }

  #decode(f: RemoteFrame): void {
    const key = f.header.frameType === FrameType.VideoKey;
    const codec = webCodecsVideoCodec(f.codec);
    if (this.#decoder === undefined || this.#decoder.state === 'closed' || codec !== this.#codec) {
      if (!key) {
        this.#askKey();
        return;
      }
      this.#closeDecoder();
      this.#codec = codec;
      this.#decoder = new VideoDecoder({
        output: (frame) => {
          this.#draw(frame);
        },
        error: () => {
          this.#needKey = true;
        },
      });
      this.#decoder.configure({ codec, optimizeForLatency: true });
    }
    if (this.#needKey && !key) {
      this.#askKey();
      return;
    }
    this.#needKey = false;
    try {
      this.#decoder.decode(
        new EncodedVideoChunk({
          type: key ? 'key' : 'delta',
          timestamp: f.header.timestamp,
          data: f.payload,
        }),
      );
    } catch {
      this.#needKey = true;
      this.#closeDecoder();
    }
  }

  #lastAsk = 0;
  #askKey(): void {
    const now = Date.now();
    if (now - this.#lastAsk < 500) return;
    this.#lastAsk = now;
    this.#requestKeyframe();
  }

  #draw(frame: VideoFrame): void {
    try {
      this.stats.framesDecoded++;
      if (this.#scope.closed) return;
      const w = frame.displayWidth;
      const h = frame.displayHeight;
      if (this.canvas.width !== w) this.canvas.width = w;
      if (this.canvas.height !== h) this.canvas.height = h;
      this.canvas.getContext('2d')?.drawImage(frame, 0, 0, w, h);
      this.stats.framesDrawn++;
      this.stats.firstFrameAt ??= performance.now();
      const g2g = Date.now() - frame.timestamp / 1000;
      this.stats.glassToGlassMs.push(g2g);
      if (this.stats.glassToGlassMs.length > 600) this.stats.glassToGlassMs.shift();
    } finally {
      frame.close();
    }
  }

  #closeDecoder(): void {
    const d = this.#decoder;
    this.#decoder = undefined;
    if (d !== undefined && d.state !== 'closed') d.close();
  }

  async close(): Promise<void> {
    this.#buffer.clear();
    await this.#scope.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
