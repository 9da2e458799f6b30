import {
  decodeMediaFrame,
  FrameType,
  isProtocolError,
  MediaResetCode,
  mediaResetCodeFor,
  MediaStreamParser,
  StreamType,
  tryParseStreamId,
  type FourCC,
  type StreamHeader,
} from '@darktower/protocol';
import type { Session } from '@darktower/transport';
import type { Clock } from '../clock.ts';
import type {
  Destination,
  EgressEndpoint,
  EgressStreamSpec,
  PublisherHandle,
  StreamInfo,
} from '../core/destination.ts';
import type { FrameSink } from '../core/frame.ts';
import type { Forwarder } from '../core/forwarder.ts';
import { isMediaError, MediaError, WIRE_CODE } from '../errors.ts';
import type { HandlerId, ParticipantId, StreamId } from '../ids.ts';
import type { ConnectionGrant } from '../core/token-store.ts';
import type { ControlPort } from './control-port.ts';
import { BatchedDatagramOut, DatagramSink, WriterDatagramOut, type DatagramOut } from './datagram-sink.ts';
import { toForwardFrame } from './frame-from-wire.ts';
import { StreamSink } from './stream-sink.ts';

/** Who is on the other end of an authenticated media session. */
export type Peer =
  | { kind: 'participant'; participantId: ParticipantId; grant: ConnectionGrant }
  | { kind: 'cascade'; handlerId: HandlerId };

export interface ConnectionLimits {
  /** Largest frame payload accepted on ingest. */
  maxPayloadLength: number;
  /** Concurrent ingest streams per participant session. */
  maxIngestStreams: number;
  /**
   * Concurrent ingest streams on a cascade link (default: maxIngestStreams). One link carries the relayed streams
   * of every meeting the two handlers share, so it needs far more than one participant.
   */
  maxCascadeIngestStreams?: number;
  /** Datagrams accepted per second per session (token bucket, burst = one second's worth); the rest are dropped. */
  datagramsPerSecond: number;
  /** Send forwarded audio as datagrams (else on unidirectional streams). */
  audioAsDatagrams: boolean;
}

export interface ConnectionCounters {
  streamsRejected: number;
  datagramsDropped: number;
  datagramsInvalid: number;
  framesIngested: number;
}

/** What a subscriber last reported about one forwarded stream. */
export interface SubscriberQuality {
  availableBitrate: number;
  packetLoss: number;
  rttMs: number;
}

const MAX_FEEDBACK_STREAMS = 256;

/** Stream error codes (webtransport-flow.md): the reason object a WebTransport stack reads `streamErrorCode` from. */
function streamError(code: number, message: string): { streamErrorCode: number; message: string } {
  return { streamErrorCode: code, message };
}

/**
 * One authenticated media session (a client, or a peer handler over a cascade link): it publishes streams into the
 * forwarder and is an egress endpoint the forwarder opens forwarded streams on. Hostile input ends only what it
 * touched: a bad stream is reset with 0x01..0x03, a bad datagram is dropped and counted.
 */
export class MediaConnection implements EgressEndpoint, PublisherHandle {
  readonly destination: Destination;
  readonly peer: Peer;
  readonly counters: ConnectionCounters = {
    streamsRejected: 0,
    datagramsDropped: 0,
    datagramsInvalid: 0,
    framesIngested: 0,
  };
  readonly closed: Promise<void>;

  readonly #session: Session;
  #seen = -1;
  #heardAt = 0;
  readonly #control: ControlPort;
  readonly #forwarder: Forwarder;
  readonly #clock: Clock;
  readonly #limits: ConnectionLimits;
  readonly #published = new Set<StreamId>();
  /** The open ingest stream of each published stream id (to end it when the controller withdraws the id). */
  readonly #ingestReaders = new Map<StreamId, ReadableStreamDefaultReader<Uint8Array>>();
  readonly #announced = new Set<string>();
  readonly #feedback = new Map<string, SubscriberQuality>();
  #datagramPath: DatagramOut | undefined;
  #ingestStreams = 0;
  #tokens: number;
  #tokensAt: number;
  #closing = false;

  constructor(
    session: Session,
    peer: Peer,
    control: ControlPort,
    forwarder: Forwarder,
    clock: Clock,
    limits: ConnectionLimits,
  ) {
    this.#session = session;
    this.peer = peer;
    this.#control = control;
    this.#forwarder = forwarder;
    this.#clock = clock;
    this.#limits = limits;
    this.#tokens = limits.datagramsPerSecond;
    this.#tokensAt = clock.now();
    this.destination =
      peer.kind === 'participant'
        ? { kind: 'participant', participantId: peer.participantId }
        : { kind: 'handler', handlerId: peer.handlerId };
    this.closed = session.closed.then(() => {
      this.#teardown();
    });
  }

  /** When anything last arrived from the peer (packets of any kind, acknowledgements and keep-alives included). */
  get heardAt(): number {
    this.noteTraffic();
    return this.#heardAt;
  }

  /** Samples the session's receive counters: when they moved since the last sample, the peer was heard from now. */
  noteTraffic(): void {
    const s = this.#session.stats();
    const seen = s.packetsReceived + s.bytesReceived;
    if (seen !== this.#seen) {
      this.#seen = seen;
      this.#heardAt = this.#clock.now();
    }
  }

  get origin(): 'client' | 'cascade' {
    return this.peer.kind === 'participant' ? 'client' : 'cascade';
  }

  /** The latest quality report per forwarded stream id, from this subscriber. */
  quality(): ReadonlyMap<string, SubscriberQuality> {
    return this.#feedback;
  }

  /** Starts serving: attaches as a destination, reads ingest streams, datagrams and control messages. */
  start(): void {
    this.#forwarder.attach(this);
    void this.#refuseBidiStreams();
    void this.#acceptStreams();
    void this.#readDatagrams();
    void this.#readControl();
  }

  /**
   * Replaced by a new session of the same peer: leaves the forwarder now (so the successor can attach at once; the
   * QUIC close completes later), then closes.
   */
  retire(code: number = WIRE_CODE.NO_ERROR, reason = ''): void {
    this.#teardown();
    this.close(code, reason);
  }

  close(code: number = WIRE_CODE.NO_ERROR, reason = ''): void {
    this.#session.close({ closeCode: code, reason });
    this.#teardown();
  }

  // ---- PublisherHandle --------------------------------------------------------------------------------------

  requestKeyframe(streamId: StreamId): void {
    if (!this.#closing) this.#control.requestKeyframe(streamId);
  }

  // ---- EgressEndpoint ---------------------------------------------------------------------------------------

  openSink(spec: EgressStreamSpec): FrameSink {
    const datagram = this.#limits.audioAsDatagrams && spec.source.media === 'audio';
    this.#control.announce({
      streamId: spec.forwardedId,
      sourceStreamId: spec.source.streamId,
      sourceParticipantId: spec.source.publisherId ?? '',
      slot: spec.slot,
      datagram,
      streamType: spec.source.streamType,
      codec: spec.source.codec,
    });
    this.#announced.add(spec.forwardedId);
    if (datagram) return new DatagramSink(this.#datagramOut(), this.#session.datagrams.maxDatagramSize);
    const header: StreamHeader = {
      streamType: spec.source.streamType,
      streamId: spec.forwardedId as string as StreamHeader['streamId'],
      codec: spec.source.codec as FourCC,
    };
    // Audio first, then screen share, then camera when the path is congested.
    const sendOrder =
      spec.source.streamType === StreamType.AUDIO
        ? 2
        : spec.source.streamType === StreamType.VIDEO_SCREEN
          ? 1
          : 0;
    const sink = new StreamSink(() => this.#session.createUnidirectionalStream({ sendOrder }), header);
    return {
      write: (wire, h) => sink.write(wire, h),
      close: () => {
        sink.close();
        if (this.#announced.delete(spec.forwardedId) && !this.#closing)
          this.#control.withdraw(spec.forwardedId);
      },
    };
  }

  // ---- ingest -----------------------------------------------------------------------------------------------

  /**
   * The controller withdrew streams from this publisher (it unpublished them): their open ingest streams end now
   * with 0x02, like a stream that was never assigned, and they cannot be published again on this session.
   */
  revokeUnassigned(): void {
    for (const [streamId, reader] of this.#ingestReaders) {
      if (this.#mayPublish(streamId)) continue;
      this.#ingestReaders.delete(streamId);
      void reader
        .cancel(streamError(MediaResetCode.AuthenticationFailed, `stream ${streamId} was unpublished`))
        .catch(() => undefined);
    }
  }

  /** PublisherHandle: the forwarder gave this relayed stream to another link or its publisher; ingest here ends. */
  relinquish(streamId: StreamId): void {
    this.#published.delete(streamId);
    const reader = this.#ingestReaders.get(streamId);
    if (reader === undefined) return;
    this.#ingestReaders.delete(streamId);
    void reader
      .cancel(streamError(MediaResetCode.NoError, `stream ${streamId} now arrives over another link`))
      .catch(() => undefined);
  }

  /** One datagram path per session, shared by its datagram outputs: batched where the transport can. */
  #datagramOut(): DatagramOut {
    if (this.#datagramPath !== undefined) return this.#datagramPath;
    const session = this.#session;
    this.#datagramPath =
      session.sendDatagrams === undefined
        ? new WriterDatagramOut(session.datagrams.writable.getWriter())
        : new BatchedDatagramOut(session as Session & { sendDatagrams(batch: readonly Uint8Array[]): void });
    return this.#datagramPath;
  }

  #mayPublish(streamId: StreamId): boolean {
    if (this.peer.kind === 'cascade') return true;
    return this.peer.grant.streamIds.includes(streamId);
  }

  /** Only the first bidi stream (control) has a meaning; later ones are refused at once. */
  async #refuseBidiStreams(): Promise<void> {
    const reader = this.#session.incomingBidirectionalStreams.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        const reason = streamError(MediaResetCode.InvalidStreamFormat, 'one control stream per session');
        void value.readable.cancel(reason).catch(() => undefined);
        void value.writable.abort(reason).catch(() => undefined);
      }
    } catch {
      // The session ended.
    } finally {
      reader.releaseLock();
    }
  }

  async #acceptStreams(): Promise<void> {
    const reader = this.#session.incomingUnidirectionalStreams.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        const max =
          this.peer.kind === 'cascade'
            ? (this.#limits.maxCascadeIngestStreams ?? this.#limits.maxIngestStreams)
            : this.#limits.maxIngestStreams;
        if (this.#ingestStreams >= max) {
          this.counters.streamsRejected++;
          void value
            .cancel(streamError(MediaResetCode.QuotaExceeded, 'too many media streams'))
            .catch(() => undefined);
          continue;
        }
        void this.#ingest(value);
      }
    } catch {
      // The session ended; teardown runs from `closed`.
    } finally {
      reader.releaseLock();
    }
  }

  async #ingest(readable: ReadableStream<Uint8Array>): Promise<void> {
    this.#ingestStreams++;
    const parser = new MediaStreamParser({ maxPayloadLength: this.#limits.maxPayloadLength });
    const reader = readable.getReader();
    let streamId: StreamId | undefined;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          parser.finish();
          return;
        }
        for (const event of parser.push(value)) {
          if (event.kind === 'header') {
            streamId = this.#registerPublisher(event.header);
            this.#ingestReaders.set(streamId, reader);
            continue;
          }
          this.counters.framesIngested++;
          this.#forwarder.ingest(toForwardFrame(event.header, event.payload, value, this.origin));
        }
      }
    } catch (error) {
      if (this.#closing) return;
      this.counters.streamsRejected++;
      const code = isProtocolError(error)
        ? mediaResetCodeFor(error.code)
        : isMediaError(error)
          ? error.wireCode
          : MediaResetCode.InternalError;
      const message = error instanceof Error ? error.message : 'stream error';
      await reader.cancel(streamError(code, message)).catch(() => undefined);
    } finally {
      this.#ingestStreams--;
      reader.releaseLock();
      if (streamId !== undefined && this.#ingestReaders.get(streamId) === reader)
        this.#ingestReaders.delete(streamId);
      if (streamId !== undefined && this.#published.delete(streamId))
        this.#forwarder.removePublisher(streamId, this);
    }
  }

  #registerPublisher(header: StreamHeader): StreamId {
    const streamId = header.streamId as string as StreamId;
    if (!this.#mayPublish(streamId))
      throw MediaError.forbidden(`stream ${streamId} is not assigned to this publisher`);
    if (this.#published.has(streamId))
      throw new MediaError('CONFLICT', `stream ${streamId} is already being published`);
    const info: StreamInfo = {
      streamId,
      media: header.streamType === StreamType.AUDIO ? 'audio' : 'video',
      streamType: header.streamType,
      codec: header.codec,
      publisherId: this.peer.kind === 'participant' ? this.peer.participantId : undefined,
    };
    this.#forwarder.addPublisher(info, this.origin, this);
    this.#published.add(streamId);
    return streamId;
  }

  async #readDatagrams(): Promise<void> {
    // The transport's batched fast path when it has one (QUIC): every datagram of an event-loop turn in one call.
    const onDatagrams = this.#session.onDatagrams?.bind(this.#session);
    if (onDatagrams !== undefined) {
      const off = onDatagrams((batch) => {
        if (this.#closing) return;
        for (const datagram of batch) this.#onDatagram(datagram);
      });
      await this.#session.closed.catch(() => undefined);
      off();
      return;
    }
    const reader = this.#session.datagrams.readable.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        this.#onDatagram(value);
      }
    } catch {
      // The session ended.
    } finally {
      reader.releaseLock();
    }
  }

  #onDatagram(bytes: Uint8Array): void {
    if (!this.#takeToken()) {
      this.counters.datagramsDropped++;
      return;
    }
    let frame;
    try {
      frame = decodeMediaFrame(bytes, this.#limits.maxPayloadLength);
    } catch {
      this.counters.datagramsInvalid++;
      return;
    }
    // Only audio travels as datagrams; a video frame here is refused like any other bad datagram.
    const streamId = frame.header.streamId as string as StreamId;
    if (frame.header.frameType !== FrameType.Audio || !this.#mayPublish(streamId)) {
      this.counters.datagramsInvalid++;
      return;
    }
    if (!this.#published.has(streamId)) {
      const codec =
        this.peer.kind === 'participant' ? (this.peer.grant.codecs?.get(streamId) ?? 'opus') : 'opus';
      try {
        // Refused when someone else publishes this id (a relayed stream moves to this link: see addPublisher).
        this.#forwarder.addPublisher(
          {
            streamId,
            media: 'audio',
            streamType: StreamType.AUDIO,
            codec,
            publisherId: this.peer.kind === 'participant' ? this.peer.participantId : undefined,
          },
          this.origin,
          this,
        );
      } catch {
        this.counters.datagramsInvalid++;
        return;
      }
      this.#published.add(streamId);
    }
    this.counters.framesIngested++;
    this.#forwarder.ingest(toForwardFrame(frame.header, frame.payload, bytes, this.origin));
  }

  #takeToken(): boolean {
    const now = this.#clock.now();
    const rate = this.#limits.datagramsPerSecond;
    this.#tokens = Math.min(rate, this.#tokens + ((now - this.#tokensAt) * rate) / 1000);
    this.#tokensAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  // ---- control ----------------------------------------------------------------------------------------------

  async #readControl(): Promise<void> {
    try {
      for await (const event of this.#control.events()) {
        switch (event.kind) {
          case 'keyframeRequest': {
            const id = tryParseStreamId(event.streamId);
            // A simulcast group (or our slot) id is mapped to the layer we are sent by the forwarder.
            if (id !== undefined) this.#forwarder.requestKeyframe(id as string as StreamId, this.destination);
            break;
          }
          case 'feedback': {
            if (Number.isFinite(event.bandwidthBps) && event.bandwidthBps > 0) {
              this.#forwarder.setAvailableBandwidth(this.destination, event.bandwidthBps);
            }
            const id = tryParseStreamId(event.streamId);
            // Every feedback carries the field: empty means "as before" (periodic reports must not lift a cap);
            // a layer id the group does not have (e.g. "*") lifts it.
            if (id !== undefined && event.preferredLayerId !== '') {
              this.#forwarder.setPreferredLayer(
                this.destination,
                id as string as StreamId,
                event.preferredLayerId,
              );
            }
            // Kept for the controller (StreamQualityUpdate); bounded, latest per stream. A message without a
            // bandwidth (only a preferred layer) says nothing about quality.
            if (
              id !== undefined &&
              event.bandwidthBps > 0 &&
              (this.#feedback.has(id) || this.#feedback.size < MAX_FEEDBACK_STREAMS)
            ) {
              this.#feedback.set(id, {
                availableBitrate: Math.min(Math.max(0, Math.round(event.bandwidthBps)), 0xffff_ffff),
                packetLoss: Number.isFinite(event.packetLoss)
                  ? Math.min(Math.max(event.packetLoss, 0), 1)
                  : 0,
                rttMs: event.rttMs,
              });
            }
            break;
          }
          case 'ignored':
            break;
          default: {
            const never: never = event;
            return never;
          }
        }
      }
      // The peer finished its control stream: the session is over.
      if (!this.#closing) this.close(WIRE_CODE.NO_ERROR, 'control stream ended');
    } catch (error) {
      if (!this.#closing) {
        const code = isProtocolError(error) ? mediaResetCodeFor(error.code) : WIRE_CODE.INVALID_STREAM_FORMAT;
        this.close(code, 'bad control message');
      }
    }
  }

  #teardown(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#forwarder.detach(this.destination, this);
    for (const id of this.#published) this.#forwarder.removePublisher(id, this);
    this.#published.clear();
    this.#control.close();
  }
}
