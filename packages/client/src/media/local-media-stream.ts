// One published media stream on a media connection: video on its own unidirectional stream, audio as datagrams
// (fragmented when a frame does not fit one) or, where the handler has datagrams off, on a unidirectional stream.
import {
  encodeMediaFrame,
  fragmentFrame,
  FrameType,
  MediaStreamWriter,
  micros,
  StreamType,
  type FourCC,
  type FrameHeader,
  type StreamId,
} from '@darktower/protocol';
import type { Session } from '@darktower/transport/browser';
import { ClientError } from '../core/client-error.ts';
import type { FrameTransform } from './frame-transform.ts';

export interface EncodedMediaFrame {
  readonly data: Uint8Array;
  /** Video: a key frame. Ignored for audio. */
  readonly key: boolean;
  /** Capture time, microseconds since the Unix epoch (carried to the receiver for sync and glass-to-glass). */
  readonly timestampUs: number;
  /** Audio only: 0 (loudest) .. 127 (silence) -dBov, and voice activity. */
  readonly audioLevel?: { level: number; voiceActivity: boolean };
  /** Video only: the frame may be dropped without breaking later ones. */
  readonly discardable?: boolean;
  /**
   * Stream transport: the sequence number to send under when above the last one (simulcast layers number frames by
   * capture so that a subscriber switched between layers sees one sequence). Default: the next one.
   */
  readonly sequence?: number;
}

export interface LocalMediaStreamStats {
  framesSent: number;
  bytesSent: number;
  framesDropped: number;
}

export class LocalMediaStream implements AsyncDisposable {
  readonly streamId: StreamId;
  readonly streamType: StreamType;
  readonly codec: FourCC;
  readonly transport: 'stream' | 'datagram';
  readonly stats: LocalMediaStreamStats = { framesSent: 0, bytesSent: 0, framesDropped: 0 };
  readonly #session: Session;
  readonly #transform: FrameTransform;
  readonly #onClose: () => void;
  #writer: MediaStreamWriter | undefined;
  #datagrams: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #sequence = 0;
  #closed = false;
  #pendingWrites = 0;

  private constructor(
    session: Session,
    spec: { streamId: StreamId; streamType: StreamType; codec: FourCC },
    transport: 'stream' | 'datagram',
    transform: FrameTransform,
    onClose: () => void,
  ) {
    this.#session = session;
    this.streamId = spec.streamId;
    this.streamType = spec.streamType;
    this.codec = spec.codec;
    this.transport = transport;
    this.#transform = transform;
    this.#onClose = onClose;
  }

  /** @internal Created by MediaConnection.publish. */
  static async open(
    session: Session,
    spec: { streamId: StreamId; streamType: StreamType; codec: FourCC },
    datagrams: WritableStreamDefaultWriter<Uint8Array> | undefined,
    transform: FrameTransform,
    onClose: () => void,
  ): Promise<LocalMediaStream> {
    const audio = spec.streamType === StreamType.AUDIO;
    const mode = audio && datagrams !== undefined ? 'datagram' : 'stream';
    const stream = new LocalMediaStream(session, spec, mode, transform, onClose);
    if (stream.transport === 'stream') {
      // Audio first, then screen share, then camera when congested (same order the handler uses).
      const sendOrder = audio ? 2 : spec.streamType === StreamType.VIDEO_SCREEN ? 1 : 0;
      const writable = await session.createUnidirectionalStream({ sendOrder });
      stream.#writer = new MediaStreamWriter(writable, spec);
    } else {
      stream.#datagrams = datagrams;
    }
    return stream;
  }

  /** Frames queued on the stream and not yet accepted: the caller may skip delta frames when this grows. */
  get backlog(): number {
    return this.#pendingWrites;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Sends one encoded frame (encrypted by the transform first). */
  async send(frame: EncodedMediaFrame): Promise<void> {
    if (this.#closed) throw ClientError.closed('local media stream');
    const audio = this.streamType === StreamType.AUDIO;
    const frameType = audio ? FrameType.Audio : frame.key ? FrameType.VideoKey : FrameType.VideoDelta;
    const timestamp = micros(Math.max(0, Math.round(frame.timestampUs)));
    const payload = await this.#transform.encrypt(frame.data, {
      streamId: this.streamId,
      participantId: undefined,
      frameType,
      timestampUs: timestamp,
    });
    if (payload === undefined) {
      // Not to be sent (E2EE without a key yet): never fall back to the plaintext.
      this.stats.framesDropped++;
      return;
    }
    const base = {
      frameType,
      streamId: this.streamId,
      timestamp,
      discardable: !audio && frame.discardable === true,
      audioLevel: audio ? frame.audioLevel : undefined,
    };
    this.#pendingWrites++;
    try {
      if (this.#datagrams !== undefined) {
        const max = this.#session.datagrams.maxDatagramSize;
        const parts = fragmentFrame(base, payload, this.#sequence + 1, max);
        this.#sequence += parts.length;
        for (const part of parts) {
          // Datagrams are fire-and-forget: the transport drops the oldest when its queue is full.
          void this.#datagrams.write(encodeMediaFrame(part.header, part.payload)).catch(() => undefined);
        }
      } else if (this.#writer !== undefined) {
        const header: FrameHeader = {
          ...base,
          sequence: (this.#sequence = Math.max(this.#sequence + 1, frame.sequence ?? 0)),
          payloadLength: payload.length,
          endOfFrame: true,
        };
        await this.#writer.writeFrame(header, payload);
      }
      this.stats.framesSent++;
      this.stats.bytesSent += payload.length;
    } catch (error) {
      this.stats.framesDropped++;
      if (!this.isClosed) throw ClientError.closed('media stream', error);
    } finally {
      this.#pendingWrites--;
    }
  }

  /** Finishes the stream (FIN); the handler withdraws it from subscribers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
    await this.#writer?.close().catch(() => undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
