// Microphone track -> MediaStreamTrackProcessor -> AudioEncoder (Opus) -> publication, with the RFC 6464 level
// of each frame in the frame header (the handler's active-speaker input). AudioData closed after use.
import type { LocalPublication } from '../meeting/local-publication.ts';
import { Scope } from '../core/scope.ts';
import { TrackFrames } from './drain-and-cancel.ts';
import { trackProcessor } from './webcodecs-types.ts';

/** RFC 6464 level: 0 (0 dBov, loudest) .. 127 (silence). */
export function audioLevelOf(data: AudioData): number {
  const frames = data.numberOfFrames;
  if (frames === 0) return 127;
  const samples = new Float32Array(frames);
  try {
    data.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
  } catch {
    return 127;
  }
  let sum = 0;
  for (const s of samples) sum += s * s;
  const rms = Math.sqrt(sum / frames);
  if (rms <= 1e-7) return 127;
  return Math.min(127, Math.max(0, Math.round(-20 * Math.log10(rms))));
}

export class AudioSender implements AsyncDisposable {
  readonly #scope = new Scope();
  readonly #publication: LocalPublication;
  readonly #levels = new Map<number, number>();
  /**
   * Inputs handed to the encoder, oldest first: when each was read (wall clock, µs), its length in samples, and how
   * many of its samples earlier chunks used. The encoder numbers its output by samples consumed, not by the inputs'
   * timestamps (after the track dropped buffers under load the two timelines drifted apart by half a second), so a
   * chunk's capture time is found by counting samples through this list.
   */
  readonly #inputs: { wallUs: number; frames: number; rate: number }[] = [];
  #usedOfFirst = 0;
  #encoder: AudioEncoder | undefined;
  /** When true, frames are not sent (mute keeps the pipeline warm). */
  muted = false;
  readonly stats = { framesEncoded: 0 };
  readonly done: Promise<void>;

  constructor(track: MediaStreamTrack, publication: LocalPublication, options: { bitrate?: number } = {}) {
    this.#publication = publication;
    const settings = track.getSettings();
    const encoder = new AudioEncoder({
      output: (chunk) => {
        this.#onChunk(chunk);
      },
      error: () => undefined,
    });
    encoder.configure({
      codec: 'opus',
      sampleRate: settings.sampleRate ?? 48_000,
      numberOfChannels: 1,
      bitrate: options.bitrate ?? 32_000,
    });
    this.#encoder = encoder;
    this.#scope.defer(() => {
      if (encoder.state !== 'closed') encoder.close();
    });
    const Processor = trackProcessor();
    const frames = new TrackFrames<AudioData>(
      track,
      (own) => new Processor<AudioData>({ track: own }).readable,
    );
    this.#scope.defer(async () => {
      await frames.end();
      await this.done;
    });
    this.done = this.#pump(frames);
  }

  async #pump(frames: TrackFrames<AudioData>): Promise<void> {
    try {
      for (;;) {
        const data = await frames.read();
        if (data === undefined) return;
        try {
          const encoder = this.#encoder;
          if (encoder?.state !== 'configured' || this.muted) continue;
          this.#inputs.push({
            wallUs: Date.now() * 1000,
            frames: data.numberOfFrames,
            rate: data.sampleRate,
          });
          if (this.#inputs.length > 200) {
            this.#inputs.shift();
            this.#usedOfFirst = 0;
          }
          this.#levels.set(data.timestamp, audioLevelOf(data));
          if (this.#levels.size > 64) this.#levels.delete(this.#levels.keys().next().value ?? 0);
          if (data.numberOfChannels > 1) {
            // Mono: take the first channel.
            const mono = new Float32Array(data.numberOfFrames);
            data.copyTo(mono, { planeIndex: 0, format: 'f32-planar' });
            const single = new AudioData({
              format: 'f32-planar',
              sampleRate: data.sampleRate,
              numberOfFrames: data.numberOfFrames,
              numberOfChannels: 1,
              timestamp: data.timestamp,
              data: mono,
            });
            try {
              encoder.encode(single);
            } finally {
              single.close();
            }
          } else {
            encoder.encode(data);
          }
        } finally {
          data.close();
        }
      }
    } catch {
      // track ended or sender closed
    }
  }

  #onChunk(chunk: EncodedAudioChunk): void {
    const data = new Uint8Array(chunk.byteLength);
    chunk.copyTo(data);
    // Opus frames are 20 ms; the level of the input buffer that started it is close enough.
    let level = 127;
    for (const [ts, l] of this.#levels) {
      if (ts <= chunk.timestamp) level = l;
      else break;
    }
    this.stats.framesEncoded++;
    // The capture time of the chunk's first sample, on the same wall clock as video's capture times (when frames are
    // read from the track), so the receiver plays audio and video captured together at the same moment; stamping
    // the encoder's output time instead made audio look 10-30 ms later than it was captured.
    const now = Date.now() * 1000;
    const captured = Math.min(now, this.#captureOf(chunk));
    void this.#publication
      .send({
        data,
        key: false,
        timestampUs: captured,
        audioLevel: { level, voiceActivity: level < 50 },
      })
      .catch(() => undefined);
  }

  /** When the first sample of `chunk` was captured (wall clock, µs); consumes the chunk's samples from #inputs. */
  #captureOf(chunk: EncodedAudioChunk): number {
    const first = this.#inputs[0];
    if (first === undefined) return Date.now() * 1000;
    // The input was read when its last sample was there: its first sample is `frames` samples earlier.
    const captured = first.wallUs - ((first.frames - this.#usedOfFirst) / first.rate) * 1e6;
    let need = Math.round(((chunk.duration ?? 20_000) / 1e6) * first.rate);
    while (need > 0) {
      const head = this.#inputs[0];
      if (head === undefined) break;
      const left = head.frames - this.#usedOfFirst;
      if (need < left) {
        this.#usedOfFirst += need;
        break;
      }
      need -= left;
      this.#inputs.shift();
      this.#usedOfFirst = 0;
    }
    return captured;
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
