// One remote audio stream: jitter buffer (shared playout clock with the participant's video) -> AudioDecoder ->
// MediaStreamTrackGenerator -> <audio>. Playing through a media element keeps the page's audio on the normal
// output path, which Chromium's echo canceller uses as its reference (see README: verification status).
import { Scope } from '../core/scope.ts';
import { JitterBuffer, type PlayoutClock } from '../media/jitter-buffer.ts';
import type { RemoteFrame } from '../meeting/meeting-types.ts';
import { audioLevelOf } from './audio-sender.ts';
import { trackGenerator } from './webcodecs-types.ts';

export class RemoteAudio implements AsyncDisposable {
  readonly element: HTMLAudioElement;
  readonly track: MediaStreamTrack;
  /** Latest decoded level, RFC 6464 (0 loudest .. 127 silence). */
  level = 127;
  readonly stats = {
    framesDecoded: 0,
    /**
     * Per decoded frame handed to the track generator (the last 600): its capture time (sender's wall clock, ms)
     * and capture-to-playout latency (the audio element's own output buffering comes after this).
     */
    playedAt: [] as { captureMs: number; latencyMs: number }[],
    /** Capture-to-arrival latency samples, ms (the last 600). */
    transitMs: [] as number[],
  };
  readonly #scope = new Scope();
  readonly #buffer: JitterBuffer<RemoteFrame>;
  readonly #writer: WritableStreamDefaultWriter<AudioData>;
  #decoder: AudioDecoder;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /**
   * Capture times (µs) of the chunks in the decoder, oldest first: one AudioData comes out per Opus chunk, and its
   * own timestamp is the decoder's sample count, which falls behind the capture times after a lost frame.
   */
  #inDecoder: number[] = [];

  constructor(clock: PlayoutClock) {
    this.#buffer = new JitterBuffer<RemoteFrame>(clock, { capacity: 100 });
    const Generator = trackGenerator();
    const generator = new Generator({ kind: 'audio' });
    this.track = generator;
    this.#writer = generator.writable.getWriter();
    this.element = document.createElement('audio');
    this.element.autoplay = true;
    this.element.srcObject = new MediaStream([generator]);
    this.#scope.defer(() => {
      this.element.pause();
      this.element.srcObject = null;
      generator.stop();
    });
    this.#scope.defer(() => this.#writer.close().catch(() => undefined));
    this.#decoder = this.#newDecoder();
    this.#scope.defer(() => {
      if (this.#decoder.state !== 'closed') this.#decoder.close();
    });
    this.#scope.defer(() => {
      clearTimeout(this.#timer);
    });
  }

  #newDecoder(): AudioDecoder {
    this.#inDecoder = [];
    const decoder = new AudioDecoder({
      output: (data) => {
        this.#play(data);
      },
      error: () => undefined,
    });
    decoder.configure({ codec: 'opus', sampleRate: 48_000, numberOfChannels: 1 });
    return decoder;
  }

  push(frame: RemoteFrame): void {
    if (this.#scope.closed) return;
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
        for (const { item } of this.#buffer.pop(Date.now() * 1000)) this.#decode(item);
        this.#schedule();
      },
      Math.ceil(due / 1000),
    );
  }

  #decode(f: RemoteFrame): void {
    if (this.#decoder.state === 'closed') this.#decoder = this.#newDecoder();
    try {
      this.#decoder.decode(
        new EncodedAudioChunk({ type: 'key', timestamp: f.header.timestamp, data: f.payload }),
      );
      this.#inDecoder.push(f.header.timestamp);
      if (this.#inDecoder.length > 100) this.#inDecoder.shift();
    } catch {
      // a bad frame: skip it
    }
  }

  #play(data: AudioData): void {
    this.stats.framesDecoded++;
    if (this.#scope.closed) {
      data.close();
      return;
    }
    this.level = audioLevelOf(data);
    const captureMs = (this.#inDecoder.shift() ?? data.timestamp) / 1000;
    this.stats.playedAt.push({ captureMs, latencyMs: Date.now() - captureMs });
    if (this.stats.playedAt.length > 600) this.stats.playedAt.shift();
    // The generator takes ownership and closes the AudioData after rendering.
    this.#writer.write(data).catch(() => {
      data.close();
    });
  }

  async close(): Promise<void> {
    this.#buffer.close();
    await this.#scope.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
