import { create } from '@bufbuild/protobuf';
import {
  encodeFrameHeader,
  encodeMediaFrame,
  encodeStreamHeader,
  Envelopes,
  FRAME_HEADER_BYTES,
  FrameType,
  MediaClientMessageSchema,
  MessageWriter,
  micros,
  parseFourCC,
  parseStreamId,
  readMediaStream,
  readFrameHeader as readHeader,
  readMessages,
  type FrameHeader,
  type MediaClientMessageSchema as ClientSchema,
  type MediaServerMessage,
  StreamType,
} from '@darktower/protocol';
import type { Session } from '@darktower/transport';

/** A frame a bot received, as raw as the wire gave it. */
export interface ReceivedFrame {
  header: FrameHeader;
  payload: Uint8Array;
  receivedAtUs: number;
}

/** A media stream a bot is publishing (one unidirectional stream). */
export class BotPublisher {
  readonly streamId: string;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #type: FrameType | 'video';
  seq = 0;
  failure: unknown;

  constructor(streamId: string, writer: WritableStreamDefaultWriter<Uint8Array>, audio: boolean) {
    this.streamId = streamId;
    this.#writer = writer;
    this.#type = audio ? FrameType.Audio : 'video';
    writer.closed.catch((e: unknown) => {
      this.failure = e;
    });
  }

  /** Sends one frame; `key` matters for video only. Resolves when the stream accepted it (backpressure). */
  async send(payload: Uint8Array, key = false, audioLevel?: number): Promise<void> {
    if ((this.#writer.desiredSize ?? 1) <= 0) await this.#writer.ready;
    const frameType =
      this.#type === 'video' ? (key ? FrameType.VideoKey : FrameType.VideoDelta) : FrameType.Audio;
    const header: FrameHeader = {
      frameType,
      streamId: parseStreamId(this.streamId),
      timestamp: micros(wallClockUs()),
      sequence: ++this.seq,
      payloadLength: payload.length,
      endOfFrame: true,
      discardable: false,
      audioLevel:
        audioLevel === undefined ? undefined : { level: audioLevel, voiceActivity: audioLevel < 60 },
    };
    // Not awaiting the write itself: the transport takes writes per event-loop turn, and a camera does not wait
    // for one frame to leave before capturing the next. `ready` above is the backpressure.
    this.#writer.write(encodeMediaFrame(header, payload)).catch((e: unknown) => {
      this.failure = e;
    });
  }

  /** Writes raw bytes (hostile input tests). */
  async raw(bytes: Uint8Array): Promise<void> {
    await this.#writer.write(bytes);
  }

  async end(): Promise<void> {
    await this.#writer.close();
  }

  get closed(): Promise<void> {
    return this.#writer.closed;
  }
}

export interface MediaBotOptions {
  /** Keep received frames in `received` (default true). */
  record?: boolean;
  onFrame?: (streamId: string, frame: ReceivedFrame) => void;
  /** Accept incoming streams but never read them: a subscriber that has stopped reading. */
  stall?: boolean;
}

/**
 * A media client for tests and benchmarks: authenticates with a connection token, publishes synthetic frames and
 * records every frame it receives (streams and datagrams). Real protocol, any Session.
 */
export class MediaBot {
  readonly session: Session;
  readonly received = new Map<string, ReceivedFrame[]>();
  readonly keyframeRequests: string[] = [];
  readonly server: MediaServerMessage[] = [];
  publishIds: string[] = [];
  streamErrors: unknown[] = [];
  #control!: MessageWriter<typeof ClientSchema>;
  #onFrame: ((streamId: string, frame: ReceivedFrame) => void) | undefined;
  readonly #record: boolean;
  #stall = false;
  readonly #stalled: ReadableStream<Uint8Array>[] = [];

  private constructor(session: Session, record: boolean) {
    this.session = session;
    this.#record = record;
  }

  /** Authenticates; rejects with the server's error message when refused. */
  static async connect(session: Session, token: string, options: MediaBotOptions = {}): Promise<MediaBot> {
    const bot = new MediaBot(session, options.record ?? true);
    bot.#stall = options.stall ?? false;
    bot.#onFrame = options.onFrame;
    await session.ready;
    const stream = await session.createBidirectionalStream();
    bot.#control = new MessageWriter(stream.writable, Envelopes.mediaClient);
    await bot.#control.write(
      create(MediaClientMessageSchema, {
        requestId: 1,
        kind: { case: 'auth', value: { connectionToken: token, protocolVersion: 1 } },
      }),
    );
    const messages = readMessages(stream.readable, Envelopes.mediaServer)[Symbol.asyncIterator]();
    const first = await messages.next();
    if (first.done === true) throw new Error('control stream ended before auth_ok');
    if (first.value.kind.case !== 'authOk') {
      throw new Error(first.value.kind.case === 'error' ? first.value.kind.value.message : 'no auth_ok');
    }
    bot.publishIds = first.value.kind.value.publishStreamIds;
    void bot.#readControl(messages);
    void bot.#acceptStreams();
    void bot.#readDatagrams();
    return bot;
  }

  async publish(streamId: string, streamType: StreamType, codec: string): Promise<BotPublisher> {
    const writable = await this.session.createUnidirectionalStream();
    const writer = writable.getWriter();
    await writer.write(
      encodeStreamHeader({ streamType, streamId: parseStreamId(streamId), codec: parseFourCC(codec) }),
    );
    return new BotPublisher(streamId, writer, streamType === StreamType.AUDIO);
  }

  /** Opens a raw unidirectional stream (hostile input tests). */
  async rawStream(): Promise<WritableStreamDefaultWriter<Uint8Array>> {
    return (await this.session.createUnidirectionalStream()).getWriter();
  }

  async sendDatagram(bytes: Uint8Array): Promise<void> {
    const writer = this.session.datagrams.writable.getWriter();
    try {
      await writer.write(bytes);
    } finally {
      writer.releaseLock();
    }
  }

  async requestKeyframe(streamId: string): Promise<void> {
    await this.#control.write(
      create(MediaClientMessageSchema, { kind: { case: 'keyframeRequest', value: { streamId } } }),
    );
  }

  async feedback(streamId: string, bandwidthBps: number): Promise<void> {
    await this.#control.write(
      create(MediaClientMessageSchema, {
        kind: {
          case: 'subscriberFeedback',
          value: { streamId, estimatedBandwidthBps: BigInt(bandwidthBps) },
        },
      }),
    );
  }

  frames(streamId: string): ReceivedFrame[] {
    return this.received.get(streamId) ?? [];
  }

  close(): void {
    this.session.close();
  }

  #got(streamId: string, frame: ReceivedFrame): void {
    this.#onFrame?.(streamId, frame);
    if (!this.#record) return;
    let list = this.received.get(streamId);
    if (list === undefined) this.received.set(streamId, (list = []));
    list.push(frame);
  }

  async #readControl(messages: AsyncIterator<MediaServerMessage>): Promise<void> {
    try {
      for (;;) {
        const next = await messages.next();
        if (next.done === true) return;
        this.server.push(next.value);
        if (next.value.kind.case === 'keyframeRequest')
          this.keyframeRequests.push(next.value.kind.value.streamId);
      }
    } catch {
      // session over
    }
  }

  async #acceptStreams(): Promise<void> {
    const reader = this.session.incomingUnidirectionalStreams.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        if (this.#stall) this.#stalled.push(value);
        else void this.#readStream(value);
      }
    } catch {
      // session over
    }
  }

  async #readStream(readable: ReadableStream<Uint8Array>): Promise<void> {
    let id = '';
    try {
      for await (const ev of readMediaStream(readable)) {
        if (ev.kind === 'header') id = ev.header.streamId;
        else this.#got(id, { header: ev.header, payload: ev.payload.slice(), receivedAtUs: wallClockUs() });
      }
    } catch (error) {
      this.streamErrors.push(error);
    }
  }

  async #readDatagrams(): Promise<void> {
    const reader = this.session.datagrams.readable.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        const header = decodeHeader(value);
        if (header !== undefined) {
          this.#got(header.streamId, {
            header,
            payload: value.slice(FRAME_HEADER_BYTES),
            receivedAtUs: wallClockUs(),
          });
        }
      }
    } catch {
      // session over
    }
  }
}

function decodeHeader(bytes: Uint8Array): FrameHeader | undefined {
  try {
    return readHeader(bytes);
  } catch {
    return undefined;
  }
}

/** A frame header + payload for hostile tests that need exact bytes. */
export function frameBytes(header: FrameHeader, payload: Uint8Array): Uint8Array {
  const h = encodeFrameHeader(header);
  const out = new Uint8Array(h.length + payload.length);
  out.set(h);
  out.set(payload, h.length);
  return out;
}

/**
 * Wall clock in whole microseconds with sub-millisecond resolution, comparable across processes on one machine:
 * performance.now() anchored at the edge of a Date.now() millisecond tick (performance.timeOrigin alone can be off
 * by tens of milliseconds between processes).
 */
export function wallClockUs(): number {
  clockOffsetUs ??= calibrate();
  return Math.round(clockOffsetUs + performance.now() * 1000);
}

let clockOffsetUs: number | undefined;

/**
 * Being descheduled during a calibration (a loaded machine) can only make the offset come out too small (the tick
 * was seen late, or performance.now() read late), never too large: the largest of several is the closest.
 */
function calibrate(): number {
  let best = -Infinity;
  for (let i = 0; i < 10; i++) {
    const start = Date.now();
    let now = start;
    while (now === start) now = Date.now(); // spin to the next millisecond edge (at most 1 ms)
    best = Math.max(best, now * 1000 - performance.now() * 1000);
  }
  return best;
}
