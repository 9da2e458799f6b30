// The client side of a media handler session: authenticate on the control stream (first bidirectional stream),
// publish streams, receive forwarded streams (unidirectional streams and datagrams), and exchange keyframe
// requests and subscriber feedback. Transport-neutral: any Session (WebTransport, WebSocket fallback, memory).
import { create } from '@bufbuild/protobuf';
import {
  decodeMediaFrame,
  Envelopes,
  MediaClientMessageSchema,
  MessageWriter,
  readMediaStream,
  readMessages,
  StreamType,
  type FourCC,
  type FrameHeader,
  type MediaServerMessage,
  type StreamAnnouncement,
  type StreamHeader,
  type StreamId,
} from '@darktower/protocol';
import type { Session } from '@darktower/transport/browser';
import { withDeadline } from '../core/abort.ts';
import { ClientError } from '../core/client-error.ts';
import { Emitter } from '../core/emitter.ts';
import { fromErrorMessage } from '../core/wire-error.ts';
import { identityTransform, type FrameTransform } from './frame-transform.ts';
import { LocalMediaStream } from './local-media-stream.ts';
import type { MediaState } from './media-state.ts';
import { Reassembler } from './reassembler.ts';

/** How long a close waits for its streams' FINs to be taken before it closes the session under them. */
export const STREAM_CLOSE_GRACE_MS = 1_000;

/**
 * Frames held for `releaseFrames()` at most (the newest are kept): a join's first key frames can arrive while its
 * owner still waits for the other media connections and the layout.
 */
const MAX_HELD_FRAMES = 512;
const MAX_HELD_BYTES = 8 << 20;

/** A whole frame received from the handler (fragments joined), before decryption. */
export interface ReceivedFrame {
  /** The id the frame arrived under: a slot stream id for layout subscriptions, else the source stream id. */
  readonly streamId: StreamId;
  readonly header: FrameHeader;
  readonly payload: Uint8Array;
  readonly receivedAtUs: number;
  readonly via: 'stream' | 'datagram';
}

export interface MediaConnectionEvents {
  stateChanged: [MediaState];
  frame: [ReceivedFrame];
  /** A forwarded stream starts (before its first frame). */
  streamAnnounced: [StreamAnnouncement];
  streamWithdrawn: [string];
  /** The handler asks for a key frame on one of our published streams. */
  keyframeRequested: [string];
  /** A forwarded uni stream started (its header). */
  streamStarted: [StreamHeader];
  error: [unknown];
}

export interface MediaConnectionOptions {
  signal?: AbortSignal;
  /** Auth deadline (default 10 s). */
  timeoutMs?: number;
  transform?: FrameTransform;
  /** Largest payload accepted from the handler (default 4 MiB). */
  maxPayloadLength?: number;
  /** W3C trace context sent with the auth message: the handler's spans join the caller's trace. */
  traceparent?: string | undefined;
  /** The handler at the other end (MediaServerInfo.handler_id), for callers that keep several connections. */
  handlerId?: string;
  /**
   * Hold `frame` events until `releaseFrames()` (default false): an owner that wires its listeners only after more
   * work (the join's other connections, its layout) loses nothing sent meanwhile, such as the first key frame of
   * each stream it subscribed to (lost, the picture waited for the next one). Bounded: the newest 512 frames.
   */
  holdFrames?: boolean;
}

export class MediaConnection implements AsyncDisposable {
  readonly events = new Emitter<MediaConnectionEvents>();
  readonly session: Session;
  /** The handler at the other end ('' when not given). */
  readonly handlerId: string;
  readonly closed: Promise<void>;
  readonly #published = new Map<string, LocalMediaStream>();
  readonly #reassemblers = new Map<string, Reassembler>();
  readonly #announcements = new Map<string, StreamAnnouncement>();
  readonly #abort = new AbortController();
  readonly #transform: FrameTransform;
  readonly #maxPayloadLength: number;
  #control: MessageWriter<typeof MediaClientMessageSchema> | undefined;
  #datagramWriter: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #state: MediaState = { state: 'idle' };
  #closing: Promise<void> | undefined;
  #resolveClosed!: () => void;
  #publishIds: string[] = [];
  /** Frames waiting for `releaseFrames()` (undefined once released), and their payload bytes. */
  #held: ReceivedFrame[] | undefined;
  #heldBytes = 0;
  /** Counters for stats and leak checks. */
  readonly counters = { framesReceived: 0, bytesReceived: 0, datagramsInvalid: 0, streamErrors: 0 };

  private constructor(session: Session, options: MediaConnectionOptions) {
    this.session = session;
    this.handlerId = options.handlerId ?? '';
    this.#transform = options.transform ?? identityTransform;
    this.#maxPayloadLength = options.maxPayloadLength ?? 4 << 20;
    if (options.holdFrames === true) this.#held = [];
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    void session.closed.then(
      (info) => void this.#end(ClientError.closed(`media session (${info.closeCode} ${info.reason})`)),
    );
  }

  /** Connects (session ready), authenticates with the single-use connection token, and starts receiving. */
  static async open(
    session: Session,
    connectionToken: string,
    options: MediaConnectionOptions = {},
  ): Promise<MediaConnection> {
    const conn = new MediaConnection(session, options);
    const what = { signal: options.signal, timeoutMs: options.timeoutMs ?? 10_000 };
    try {
      conn.#setState({ state: 'connecting' });
      await withDeadline(session.ready, { ...what, what: 'media session ready' });
      conn.#setState({ state: 'authenticating' });
      const control = await withDeadline(session.createBidirectionalStream({ sendOrder: 3 }), {
        ...what,
        what: 'media control stream',
      });
      conn.#control = new MessageWriter(control.writable, Envelopes.mediaClient);
      const messages = readMessages(control.readable, Envelopes.mediaServer, { signal: conn.#abort.signal })[
        Symbol.asyncIterator
      ]();
      await conn.#control.write(
        create(MediaClientMessageSchema, {
          requestId: 1,
          traceparent: options.traceparent ?? '',
          kind: { case: 'auth', value: { connectionToken, protocolVersion: 1 } },
        }),
      );
      const first = await withDeadline(messages.next(), { ...what, what: 'media auth_ok' });
      if (first.done === true) throw ClientError.closed('media control stream before auth_ok');
      const kind = first.value.kind;
      if (kind.case === 'error') throw fromErrorMessage(kind.value);
      if (kind.case !== 'authOk') throw ClientError.protocol(`expected auth_ok, got ${String(kind.case)}`);
      conn.#publishIds = kind.value.publishStreamIds;
      if (kind.value.datagramsEnabled) conn.#datagramWriter = session.datagrams.writable.getWriter();
      conn.#setState({
        state: 'ready',
        sessionId: kind.value.sessionId,
        datagrams: kind.value.datagramsEnabled,
      });
      void conn.#readControl(messages);
      void conn.#acceptStreams();
      void conn.#readDatagrams();
      return conn;
    } catch (error) {
      await conn.close();
      throw error;
    }
  }

  get state(): MediaState {
    return this.#state;
  }

  /** Stream ids the handler allowed at auth time. */
  get publishStreamIds(): readonly string[] {
    return this.#publishIds;
  }

  announcement(streamId: string): StreamAnnouncement | undefined {
    return this.#announcements.get(streamId);
  }

  /** Opens an outgoing media stream. */
  async publish(spec: {
    streamId: StreamId;
    streamType: StreamType;
    codec: FourCC;
  }): Promise<LocalMediaStream> {
    if (this.#state.state !== 'ready')
      throw ClientError.invalidState(`cannot publish in ${this.#state.state}`);
    if (this.#published.has(spec.streamId))
      throw new ClientError('CONFLICT', `stream ${spec.streamId} is already published`);
    const stream = await LocalMediaStream.open(
      this.session,
      spec,
      spec.streamType === StreamType.AUDIO ? this.#datagramWriter : undefined,
      this.#transform,
      () => this.#published.delete(spec.streamId),
    );
    this.#published.set(spec.streamId, stream);
    return stream;
  }

  /** Emits the frames held since the connection opened (`holdFrames`), in arrival order; later ones go straight out. */
  releaseFrames(): void {
    const held = this.#held;
    this.#held = undefined;
    this.#heldBytes = 0;
    for (const f of held ?? []) this.events.emit('frame', f);
  }

  /** Whether a stream is published on this connection. */
  isPublishing(streamId: string): boolean {
    return this.#published.has(streamId);
  }

  /** Closes one outgoing stream (its publication moved elsewhere or ended). Idempotent. */
  async unpublish(streamId: string): Promise<void> {
    await this.#published.get(streamId)?.close();
  }

  async requestKeyframe(streamId: string, layerId = ''): Promise<void> {
    await this.#sendControl({ case: 'keyframeRequest', value: { streamId, layerId } });
  }

  async feedback(
    streamId: string,
    f: { bandwidthBps: number; packetLoss?: number; rttMs?: number; preferredLayerId?: string },
  ): Promise<void> {
    await this.#sendControl({
      case: 'subscriberFeedback',
      value: {
        streamId,
        estimatedBandwidthBps: BigInt(Math.max(0, Math.round(f.bandwidthBps))),
        packetLoss: f.packetLoss ?? 0,
        rttMs: Math.round(f.rttMs ?? 0),
        preferredLayerId: f.preferredLayerId ?? '',
      },
    });
  }

  close(): Promise<void> {
    return this.#end(undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #sendControl(
    kind: NonNullable<Parameters<typeof create<typeof MediaClientMessageSchema>>[1]>['kind'],
  ): Promise<void> {
    if (this.#control === undefined || this.#state.state !== 'ready')
      throw ClientError.closed('media connection');
    await this.#control.write(create(MediaClientMessageSchema, { kind }));
  }

  #end(error: unknown): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#state.state !== 'closed') this.#setState({ state: 'closing' });
      this.#abort.abort(ClientError.closed('media connection'));
      // FINs after what is queued, for a handler that is alive. One that stopped reading (dead or frozen, our
      // flow-control window to it full) would hold these until QUIC's idle timeout, and with them every caller
      // waiting on this close (a failover's break): after a short grace the session closes under them instead.
      const fins = Promise.allSettled([
        ...[...this.#published.values()].map((s) => s.close()),
        this.#control?.close(),
      ]);
      let grace: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        fins,
        new Promise((resolve) => (grace = setTimeout(resolve, STREAM_CLOSE_GRACE_MS))),
      ]);
      clearTimeout(grace);
      this.#datagramWriter?.releaseLock();
      this.session.close({ closeCode: 0, reason: 'client closed' });
      this.#setState(error === undefined ? { state: 'closed' } : { state: 'closed', error });
      this.#resolveClosed();
    })();
    return this.#closing;
  }

  #setState(state: MediaState): void {
    this.#state = state;
    this.events.emit('stateChanged', state);
  }

  async #readControl(messages: AsyncIterator<MediaServerMessage>): Promise<void> {
    try {
      for (;;) {
        const next = await messages.next();
        if (next.done === true) break;
        const kind = next.value.kind;
        switch (kind.case) {
          case 'keyframeRequest':
            this.events.emit('keyframeRequested', kind.value.streamId);
            break;
          case 'streamAnnouncement':
            this.#announcements.set(kind.value.streamId, kind.value);
            this.events.emit('streamAnnounced', kind.value);
            break;
          case 'streamWithdrawn':
            this.#announcements.delete(kind.value.streamId);
            this.#reassemblers.delete(kind.value.streamId);
            this.events.emit('streamWithdrawn', kind.value.streamId);
            break;
          case 'error':
            this.events.emit('error', fromErrorMessage(kind.value));
            break;
          case 'authOk':
          case undefined:
            break;
          default: {
            const never: never = kind;
            return never;
          }
        }
      }
    } catch (error) {
      if (!this.#abort.signal.aborted) this.events.emit('error', error);
    }
    void this.#end(ClientError.closed('media control stream'));
  }

  async #acceptStreams(): Promise<void> {
    const reader = this.session.incomingUnidirectionalStreams.getReader();
    const onAbort = (): void => void reader.cancel().catch(() => undefined);
    this.#abort.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        void this.#readStream(value);
      }
    } catch {
      // session over
    } finally {
      this.#abort.signal.removeEventListener('abort', onAbort);
    }
  }

  async #readStream(readable: ReadableStream<Uint8Array>): Promise<void> {
    let id: StreamId | undefined;
    try {
      for await (const ev of readMediaStream(readable, {
        signal: this.#abort.signal,
        maxPayloadLength: this.#maxPayloadLength,
      })) {
        if (ev.kind === 'header') {
          id = ev.header.streamId;
          this.events.emit('streamStarted', ev.header);
          continue;
        }
        if (id !== undefined) this.#deliver(id, ev.header, ev.payload.slice(), 'stream');
      }
    } catch (error) {
      if (!this.#abort.signal.aborted) {
        this.counters.streamErrors++;
        this.events.emit('error', error);
      }
    }
  }

  async #readDatagrams(): Promise<void> {
    const reader = this.session.datagrams.readable.getReader();
    const onAbort = (): void => void reader.cancel().catch(() => undefined);
    this.#abort.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        let frame;
        try {
          frame = decodeMediaFrame(value, this.#maxPayloadLength);
        } catch {
          this.counters.datagramsInvalid++;
          continue;
        }
        this.#deliver(frame.header.streamId, frame.header, frame.payload, 'datagram');
      }
    } catch {
      // session over
    } finally {
      this.#abort.signal.removeEventListener('abort', onAbort);
    }
  }

  #deliver(streamId: StreamId, header: FrameHeader, payload: Uint8Array, via: 'stream' | 'datagram'): void {
    let whole: { header: FrameHeader; payload: Uint8Array } | undefined = { header, payload };
    if (!header.endOfFrame || this.#reassemblers.has(streamId)) {
      let r = this.#reassemblers.get(streamId);
      if (r === undefined) this.#reassemblers.set(streamId, (r = new Reassembler(this.#maxPayloadLength)));
      whole = r.push(header, payload);
    }
    if (whole === undefined) return;
    this.counters.framesReceived++;
    this.counters.bytesReceived += whole.payload.length;
    const frame: ReceivedFrame = {
      streamId,
      header: whole.header,
      payload: whole.payload,
      receivedAtUs: Date.now() * 1000,
      via,
    };
    const held = this.#held;
    if (held === undefined) {
      this.events.emit('frame', frame);
      return;
    }
    held.push(frame);
    this.#heldBytes += frame.payload.length;
    while (held.length > MAX_HELD_FRAMES || this.#heldBytes > MAX_HELD_BYTES) {
      this.#heldBytes -= held.shift()?.payload.length ?? 0;
    }
  }
}
