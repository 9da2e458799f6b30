// A stream this participant publishes. It outlives media connections: after a reconnect the meeting re-attaches it
// to the new connection under the same stream id.
import type { FourCC, StreamId } from '@darktower/protocol';
import { ClientError } from '../core/client-error.ts';
import { Emitter } from '../core/emitter.ts';
import type { EncodedMediaFrame, LocalMediaStream } from '../media/local-media-stream.ts';
import type { MediaKind } from './meeting-types.ts';

export interface PublicationEvents {
  /** Send a key frame now (a subscriber joined, a decoder lost sync). */
  keyframeRequested: [];
  /** The media stream under this publication broke (e.g. the handler refused or reset it); once per stream. */
  failed: [unknown];
  /** Target bitrate from StreamQualityUpdate (bps). */
  bitrateHint: [number];
  closed: [];
}

export class LocalPublication implements AsyncDisposable {
  readonly streamId: StreamId;
  readonly kind: MediaKind;
  readonly codec: FourCC;
  readonly events = new Emitter<PublicationEvents>();
  #stream: LocalMediaStream | undefined;
  #closed = false;
  readonly #failedStreams = new WeakSet<LocalMediaStream>();
  readonly #onClose: (p: LocalPublication) => Promise<void>;

  constructor(
    streamId: StreamId,
    kind: MediaKind,
    codec: FourCC,
    onClose: (p: LocalPublication) => Promise<void>,
  ) {
    this.streamId = streamId;
    this.kind = kind;
    this.codec = codec;
    this.#onClose = onClose;
  }

  /** @internal */
  attach(stream: LocalMediaStream | undefined): void {
    this.#stream = stream;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Frames waiting for the transport; encoders skip delta frames when it grows. */
  get backlog(): number {
    return this.#stream?.backlog ?? 0;
  }

  get stats(): { framesSent: number; bytesSent: number; framesDropped: number } {
    return this.#stream?.stats ?? { framesSent: 0, bytesSent: 0, framesDropped: 0 };
  }

  /** Sends a frame; while reconnecting (no media connection) frames are dropped, not queued. */
  async send(frame: EncodedMediaFrame): Promise<void> {
    if (this.#closed) throw ClientError.closed('publication');
    const stream = this.#stream;
    if (stream === undefined || stream.isClosed) return;
    try {
      await stream.send(frame);
    } catch (error) {
      if (this.#stream !== stream || this.isClosed) return;
      if (!this.#failedStreams.has(stream)) {
        this.#failedStreams.add(stream);
        this.events.emit('failed', error);
      }
      throw error;
    }
  }

  /** Unpublishes. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const stream = this.#stream;
    this.#stream = undefined;
    await stream?.close();
    await this.#onClose(this);
    this.events.emit('closed');
    this.events.removeAll();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
