// Microphone track -> MediaStreamTrackProcessor -> AudioEncoder (Opus) -> publication, with the RFC 6464 level
// of each frame in the frame header (the handler's active-speaker input). AudioData closed after use.
import type { LocalPublication } from '../meeting/local-publication.ts';
import { Scope } from '../core/scope.ts';
import { endTrackReading } from './drain-and-cancel.ts';
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
    // A clone of our own: stopping it ends the processor's stream without touching the caller's track.
    const own = track.clone();
    const reader = new Processor<AudioData>({ track: own }).readable.getReader();
    this.#scope.defer(() => endTrackReading(own, reader, () => this.done));
    this.done = this.#pump(reader);
  }

  async #pump(reader: ReadableStreamDefaultReader<AudioData>): Promise<void> {
    try {
      for (;;) {
        const { done, value: data } = await reader.read();
        if (done) return;
        try {
          const encoder = this.#encoder;
          if (encoder?.state !== 'configured' || this.muted) continue;
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
    void this.#publication
      .send({
        data,
        key: false,
        timestampUs: Date.now() * 1000,
        audioLevel: { level, voiceActivity: level < 50 },
      })
      .catch(() => undefined);
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
