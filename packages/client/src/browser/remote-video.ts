// One forwarded video stream (a layout slot or a direct subscription): jitter buffer -> VideoDecoder -> canvas.
// Waits for a key frame after (re)start; every decoded VideoFrame is closed once drawn.
import { FrameType } from '@darktower/protocol';
import { Scope } from '../core/scope.ts';
import { JitterBuffer, type PlayoutClock } from '../media/jitter-buffer.ts';
import { SlotRestart } from '../media/slot-restart.ts';
import type { RemoteFrame } from '../meeting/meeting-types.ts';
import { webCodecsVideoCodec } from './webcodecs-types.ts';

export interface VideoRenderStats {
  framesDecoded: number;
  framesDrawn: number;
  /** Capture-to-render latency samples, ms (the last 600). */
  glassToGlassMs: number[];
  /** Capture-to-arrival latency samples, ms (the last 600): the network and forwarding part. */
  transitMs: number[];
  /** Per drawn frame (the last 600): its capture time (sender's wall clock, ms) and capture-to-draw latency. */
  renderedAt: { captureMs: number; latencyMs: number }[];
  /** Key frames received, frames the jitter buffer dropped (late, duplicate, over capacity), decoder errors. */
  keyFramesReceived: number;
  framesDropped: number;
  decodeErrors: number;
  /** performance.now() when the first frame arrived, the first key frame went to the decoder, the first was drawn. */
  firstReceivedAt: number | undefined;
  /** Capture-to-arrival of the first frame, ms (when it was captured = firstReceivedAt - this). */
  firstTransitMs: number | undefined;
  firstDecodeAt: number | undefined;
  firstFrameAt: number | undefined;
  /** performance.now() when the decoder was opened ahead of the first frame (`prepare`), if it was. */
  decoderPreparedAt: number | undefined;
}

export class RemoteVideo implements AsyncDisposable {
  readonly canvas: HTMLCanvasElement;
  readonly stats: VideoRenderStats = {
    framesDecoded: 0,
    framesDrawn: 0,
    glassToGlassMs: [],
    transitMs: [],
    renderedAt: [],
    keyFramesReceived: 0,
    framesDropped: 0,
    decodeErrors: 0,
    firstReceivedAt: undefined,
    firstTransitMs: undefined,
    firstDecodeAt: undefined,
    firstFrameAt: undefined,
    decoderPreparedAt: undefined,
  };
  readonly #scope = new Scope();
  readonly #buffer: JitterBuffer<RemoteFrame>;
  /** Asks the publisher of the stream now shown (its source stream id, not the slot id) for a key frame. */
  readonly #requestKeyframe: (sourceStreamId: string) => void;
  #decoder: VideoDecoder | undefined;
  #codec = '';
  #needKey = true;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sourceStreamId = '';
  readonly #restart = new SlotRestart();

  constructor(
    clock: PlayoutClock,
    requestKeyframe: (sourceStreamId: string) => void,
    canvas?: HTMLCanvasElement,
  ) {
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
    if (this.stats.firstReceivedAt === undefined) {
      this.stats.firstReceivedAt = performance.now();
      this.stats.firstTransitMs = (frame.receivedAtUs - frame.header.timestamp) / 1000;
    }
    if (frame.header.frameType === FrameType.VideoKey) this.stats.keyFramesReceived++;
    const restart = this.#restart.next(
      frame.sourceStreamId,
      frame.header.sequence,
      frame.header.frameType === FrameType.VideoKey,
    );
    if (restart !== undefined) {
      // Another source fills the slot, or the handler switched it to another simulcast layer and this key frame
      // came behind the old layer's frames (see SlotRestart): start over from a key frame, with a fresh decoder
      // after a layer switch (the resolution differs); the buffer would drop this key frame as late.
      this.#sourceStreamId = frame.sourceStreamId;
      this.#buffer.clear();
      this.#needKey = true;
      if (restart === 'layer') this.#closeDecoder();
    }
    this.#buffer.push(frame.header, frame, frame.receivedAtUs);
    this.stats.framesDropped = this.#buffer.dropped;
    if (this.#needKey && frame.header.frameType === FrameType.VideoKey) {
      // Waiting for a key frame (first picture, another source or layer, a decoder error) and here it is: show it
      // now rather than at its playout time (up to the clock's target delay later); what follows plays on the clock.
      // Frames before it cannot be decoded anyway.
      const due = this.#buffer.pop(Number.MAX_SAFE_INTEGER);
      let from = 0;
      for (let i = 0; i < due.length; i++) if (due[i]?.header.frameType === FrameType.VideoKey) from = i;
      for (const { item } of due.slice(from)) this.#decode(item);
    }
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

  /**
   * Opens the decoder before the first frame (the layout named the slot, the roster its codec): creating and
   * configuring one takes a few ms, more on a busy page, and would otherwise delay the first picture. A frame in
   * another codec replaces it (at a key frame). Does nothing once a decoder is open.
   */
  prepare(codec: string): void {
    if (this.#scope.closed || (this.#decoder !== undefined && this.#decoder.state !== 'closed')) return;
    this.#openDecoder(webCodecsVideoCodec(codec));
    if (this.stats.firstReceivedAt === undefined) this.stats.decoderPreparedAt ??= performance.now();
  }

  #openDecoder(codec: string): VideoDecoder {
    this.#closeDecoder();
    this.#codec = codec;
    const decoder = new VideoDecoder({
      output: (frame) => {
        this.#draw(frame);
      },
      error: () => {
        this.stats.decodeErrors++;
        this.#needKey = true;
      },
    });
    decoder.configure({ codec, optimizeForLatency: true });
    this.#decoder = decoder;
    return decoder;
  }

  /** Whether a decoder is open (prepared or decoding), and for which WebCodecs codec string. */
  get decoderCodec(): string | undefined {
    return this.#decoder === undefined || this.#decoder.state === 'closed' ? undefined : this.#codec;
  }

  #decode(f: RemoteFrame): void {
    const key = f.header.frameType === FrameType.VideoKey;
    const codec = webCodecsVideoCodec(f.codec);
    if (this.#decoder === undefined || this.#decoder.state === 'closed' || codec !== this.#codec) {
      if (!key) {
        this.#askKey();
        return;
      }
      this.#decoder = this.#openDecoder(codec);
    }
    if (this.#needKey && !key) {
      this.#askKey();
      return;
    }
    this.#needKey = false;
    this.stats.firstDecodeAt ??= performance.now();
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
    this.#requestKeyframe(this.#sourceStreamId);
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
      this.stats.renderedAt.push({ captureMs: frame.timestamp / 1000, latencyMs: g2g });
      if (this.stats.renderedAt.length > 600) this.stats.renderedAt.shift();
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
    this.#buffer.close();
    await this.#scope.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
