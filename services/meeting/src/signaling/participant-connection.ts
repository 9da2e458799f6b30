// One client's signaling session: the first bidirectional stream carries length-prefixed ClientMessage /
// ServerMessage envelopes. Lifecycle (webtransport-flow.md "Signaling Connection Lifecycle"):
// awaiting-join -> joined -> closed. Anything but JoinRequest/ResumeSession first, undecodable or oversized frames
// close this session only; too many messages are refused with RATE_LIMITED, the session stays.
import {
  ClientMessageSchema,
  LeaveReason,
  MessageWriter,
  ServerMessageSchema,
  isProtocolError,
  readMessages,
  toErrorMessage,
  type ClientMessage,
  type ServerMessage,
} from '@darktower/protocol';
import type { BidirectionalStream, Session } from '@darktower/transport';
import { MeetingError, isMeetingError } from '../errors.ts';
import { ParticipantId, type Clock, type Millis } from '../ids.ts';
import { RateLimiter } from '../state/rate-limiter.ts';
import { SignalingCloseCode } from './close-codes.ts';
import type { MeetingRoom } from './meeting-room.ts';
import { Outbox } from './outbox.ts';
import {
  publish,
  relayQuality,
  requestKeyframe,
  setLayout,
  setMute,
  subscribe,
  unpublish,
  unsubscribe,
} from './room-streams.ts';
import type { MediaHandlerGateway } from './media-gateway.ts';
import type { ParticipantLink, RoomLogger, RoomOptions } from './room-types.ts';
import { errorReply, serverMessage } from './wire.ts';

export interface ConnectionOptions {
  readonly maxMessageSize: number;
  readonly rateLimit: number;
  readonly rateWindowMs: number;
  readonly joinTimeoutMs: number;
  /** Queued outgoing messages before the client counts as not reading. */
  readonly outboxLimit: number;
}

export const defaultConnectionOptions: ConnectionOptions = {
  maxMessageSize: 64 * 1024,
  rateLimit: 1000,
  rateWindowMs: 60_000,
  joinTimeoutMs: 10_000,
  outboxLimit: 4096,
};

/** What a connection needs from the controller around it. */
export interface ConnectionHost {
  readonly clock: Clock;
  readonly log: RoomLogger;
  readonly options: ConnectionOptions;
  readonly roomOptions: RoomOptions;
  readonly media: MediaHandlerGateway;
  /** Verifies the token and joins (or resumes); the room has answered with a JoinResponse when this resolves. */
  admit(
    message: ClientMessage,
    link: ParticipantLink,
  ): Promise<{ readonly room: MeetingRoom; readonly participantId: ParticipantId }>;
  /** Counts one signaling message (metrics). */
  counted(kind: string, outcome: 'ok' | 'error' | 'rate_limited'): void;
  forget(connection: ParticipantConnection): void;
}

const CLOSE_GRACE_MS = 500;

/** Waits for `promise` (errors ignored) at most `ms`, cleaning up its timer. */
async function withDeadline(promise: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (promise === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

type ConnectionState =
  | { readonly state: 'awaiting-join' }
  | { readonly state: 'joined'; readonly room: MeetingRoom; readonly participantId: ParticipantId }
  | { readonly state: 'closed' };

export class ParticipantConnection implements ParticipantLink {
  readonly #session: Session;
  readonly #host: ConnectionHost;
  readonly #limiter: RateLimiter;
  readonly #abort = new AbortController();
  #state: ConnectionState = { state: 'awaiting-join' };
  #outbox: Outbox | undefined;
  #writer: MessageWriter<typeof ServerMessageSchema> | undefined;
  #closeInfo = { closeCode: SignalingCloseCode.normal as number, reason: '' };
  #leaving: LeaveReason | undefined;
  #closing: Promise<void> | undefined;
  lastHeartbeatAt: Millis;
  readonly closed: Promise<void>;

  constructor(session: Session, host: ConnectionHost) {
    this.#session = session;
    this.#host = host;
    this.#limiter = new RateLimiter(host.clock, host.options.rateLimit, host.options.rateWindowMs);
    this.lastHeartbeatAt = host.clock.now();
    this.closed = this.#run();
    // The session may end under us (peer gone, transport closed): stop reading and clean up either way.
    void session.closed.then((info) => {
      if (this.#closing === undefined) {
        this.#closeInfo = { closeCode: info.closeCode, reason: info.reason };
        this.#abort.abort(MeetingError.streamError('session closed'));
      }
    });
  }

  get participantId(): ParticipantId | undefined {
    return this.#state.state === 'joined' ? this.#state.participantId : undefined;
  }

  get room(): MeetingRoom | undefined {
    return this.#state.state === 'joined' ? this.#state.room : undefined;
  }

  send(message: ServerMessage): void {
    this.#outbox?.push(message);
  }

  /** ParticipantLink: the room ends this session (kick, meeting end, resumed elsewhere). */
  close(reason: string): void {
    const code =
      reason === 'meeting ended'
        ? SignalingCloseCode.meetingEnded
        : reason.startsWith('session resumed')
          ? SignalingCloseCode.replaced
          : SignalingCloseCode.kicked;
    // The room already removed or replaced this participant: no disconnect notice on the way out.
    this.#leaving = LeaveReason.KICKED;
    void this.shutdown(code, reason);
  }

  /** Ends the session: flushes queued messages (briefly), then closes. Idempotent. */
  shutdown(closeCode: number, reason: string): Promise<void> {
    this.#closing ??= (async () => {
      this.#closeInfo = { closeCode, reason };
      await this.#outbox?.flush(1_000);
      this.#abort.abort(MeetingError.streamError(reason));
      this.#outbox?.stop();
      // FIN our side, then give the peer a moment to read what we sent and close the session itself: closing at once
      // can discard bytes still in flight (the last ErrorMessage is the one that matters).
      await withDeadline(this.#writer?.close(), CLOSE_GRACE_MS);
      await withDeadline(this.#session.closed, CLOSE_GRACE_MS);
      try {
        this.#session.close({ closeCode, reason });
      } catch (error) {
        // A transport that throws while closing (e.g. its peer closed first) must not stop our cleanup.
        this.#host.log.warn({ err: error }, 'session close failed');
      }
    })();
    return this.#closing;
  }

  async #run(): Promise<void> {
    const joinTimer = setTimeout(() => {
      if (this.#state.state === 'awaiting-join')
        void this.shutdown(SignalingCloseCode.timeout, 'no JoinRequest');
    }, this.#host.options.joinTimeoutMs);
    try {
      const stream = await this.#acceptStream();
      if (stream !== undefined) await this.#serve(stream);
    } catch (error) {
      this.#host.log.error({ err: error }, 'signaling session failed');
    } finally {
      clearTimeout(joinTimer);
      await this.shutdown(this.#closeInfo.closeCode, this.#closeInfo.reason);
      const state = this.#state;
      this.#state = { state: 'closed' };
      if (state.state === 'joined' && this.#leaving === undefined) {
        await state.room.disconnected(state.participantId, this).catch((error: unknown) => {
          if (!isMeetingError(error, 'NOT_FOUND'))
            this.#host.log.warn({ err: error }, 'disconnect bookkeeping failed');
        });
      }
      this.#host.forget(this);
    }
  }

  /**
   * The first bidirectional stream is the signaling stream; later streams of any kind are refused one by one. (The
   * incoming-stream queues themselves are drained, not cancelled: the transport owns them until the session ends.)
   */
  async #acceptStream(): Promise<BidirectionalStream | undefined> {
    const incoming = this.#session.incomingBidirectionalStreams.getReader();
    const aborted = new Promise<{ done: true; value: undefined }>((resolve) => {
      if (this.#abort.signal.aborted) resolve({ done: true, value: undefined });
      this.#abort.signal.addEventListener(
        'abort',
        () => {
          resolve({ done: true, value: undefined });
        },
        { once: true },
      );
    });
    const first = await Promise.race([
      incoming.read().catch(() => ({ done: true as const, value: undefined })),
      aborted,
    ]);
    void (async () => {
      for (;;) {
        const extra = await incoming.read().catch(() => ({ done: true as const, value: undefined }));
        if (extra.done) return;
        void extra.value.readable.cancel().catch(() => undefined);
        void extra.value.writable.abort().catch(() => undefined);
      }
    })();
    void (async () => {
      const uni = this.#session.incomingUnidirectionalStreams.getReader();
      for (;;) {
        const extra = await uni.read().catch(() => ({ done: true as const, value: undefined }));
        if (extra.done) return;
        void extra.value.cancel().catch(() => undefined);
      }
    })();
    if (first.done) {
      // Refused or aborted before a stream arrived: the stream may still come; refuse it too.
      return undefined;
    }
    return first.value;
  }

  async #serve(stream: BidirectionalStream): Promise<void> {
    const { options } = this.#host;
    this.#writer = new MessageWriter(stream.writable, ServerMessageSchema, {
      maxMessageSize: options.maxMessageSize,
    });
    this.#outbox = new Outbox(
      this.#writer,
      options.outboxLimit,
      () => void this.shutdown(SignalingCloseCode.slowConsumer, 'client is not reading'),
      () => void this.shutdown(SignalingCloseCode.normal, 'stream closed'),
    );
    try {
      for await (const message of readMessages(stream.readable, ClientMessageSchema, {
        maxMessageSize: options.maxMessageSize,
        signal: this.#abort.signal,
      })) {
        await this.#handle(message);
        if (this.#state.state === 'closed' || this.#closing !== undefined) return;
        await this.#outbox.below(options.outboxLimit / 2);
      }
      // The client finished its side without LeaveMeeting: connection lost (it may resume).
    } catch (error) {
      if (isProtocolError(error)) {
        this.send(serverMessage({ case: 'error', value: toErrorMessage(error) }));
        this.#closeInfo = { closeCode: SignalingCloseCode.protocolError, reason: error.code };
      } else if (!this.#abort.signal.aborted) {
        this.#host.log.warn({ err: error }, 'signaling stream failed');
      }
    }
  }

  async #handle(message: ClientMessage): Promise<void> {
    const kind = message.kind.case ?? 'none';
    const requestId = message.requestId;
    const decision = this.#limiter.take();
    if (!decision.allowed) {
      this.#host.counted(kind, 'rate_limited');
      this.send(errorReply(MeetingError.rateLimited(decision.retryAfterMs), requestId));
      return;
    }
    try {
      if (this.#state.state === 'awaiting-join') {
        if (kind !== 'join' && kind !== 'resume') {
          this.send(errorReply(MeetingError.unauthorized('JoinRequest must come first'), requestId));
          this.#closeInfo = {
            closeCode: SignalingCloseCode.protocolError,
            reason: 'JoinRequest must come first',
          };
          this.#abort.abort();
          return;
        }
        const { room, participantId } = await this.#host.admit(message, this);
        this.#state = { state: 'joined', room, participantId };
        this.lastHeartbeatAt = this.#host.clock.now();
      } else if (this.#state.state === 'joined') {
        await this.#dispatch(this.#state.room, this.#state.participantId, message);
      }
      this.#host.counted(kind, 'ok');
    } catch (error) {
      this.#host.counted(kind, 'error');
      const meetingError = isMeetingError(error) ? error : MeetingError.internal('Internal error', error);
      if (!isMeetingError(error)) this.#host.log.error({ err: error, kind }, 'signaling handler failed');
      this.send(errorReply(meetingError, requestId));
      if (this.#state.state === 'awaiting-join') {
        // A refused join ends the session: the client gets its ErrorMessage, then the close.
        this.#closeInfo = { closeCode: SignalingCloseCode.unauthorized, reason: meetingError.code };
        this.#abort.abort();
      }
    }
  }

  async #dispatch(room: MeetingRoom, id: ParticipantId, message: ClientMessage): Promise<void> {
    const requestId = message.requestId;
    const k = message.kind;
    const roomOptions = this.#host.roomOptions;
    const ack = (): void => {
      this.send(serverMessage({ case: 'ack', value: {} }, requestId));
    };
    switch (k.case) {
      case 'join':
      case 'resume':
        throw MeetingError.conflict('Already joined');
      case 'heartbeat': {
        const now = this.#host.clock.now();
        this.lastHeartbeatAt = now;
        this.send(
          serverMessage(
            {
              case: 'heartbeatAck',
              value: { clientTimeMs: k.value.clientTimeMs, serverTimeMs: BigInt(now) },
            },
            requestId,
          ),
        );
        await room.run(async () => {
          const m = room.member(id);
          // Presence: refresh the session TTL in the store about once per heartbeat interval.
          if (m !== undefined && now - m.lastPersistAt >= roomOptions.heartbeatIntervalMs / 2)
            await room.persist(m);
        });
        return;
      }
      case 'leave':
        this.#leaving = LeaveReason.VOLUNTARY;
        await room.leave(id, LeaveReason.VOLUNTARY);
        ack();
        void this.shutdown(SignalingCloseCode.normal, 'left');
        return;
      case 'publish':
        return publish(room, roomOptions, id, k.value, requestId);
      case 'unpublish':
        return unpublish(room, id, k.value.streamId, requestId);
      case 'subscribe':
        return subscribe(room, roomOptions, id, k.value, requestId);
      case 'unsubscribe':
        return unsubscribe(room, id, k.value.streamId, requestId);
      case 'layoutRequest':
        return setLayout(room, id, k.value, requestId);
      case 'qualityUpdate':
        await relayQuality(room, id, k.value);
        if (requestId !== 0) ack();
        return;
      case 'muteState':
        return setMute(room, id, k.value, requestId);
      case 'kick':
        await room.kick(id, ParticipantId(k.value.participantId), k.value.reason.slice(0, 256));
        ack();
        return;
      case 'endMeeting':
        this.#leaving = LeaveReason.MEETING_ENDED;
        await room
          .end(id, k.value.reason.slice(0, 256) || 'ended by host', requestId)
          .catch((error: unknown) => {
            this.#leaving = undefined;
            throw error;
          });
        return;
      case 'keyframeRequest':
        await requestKeyframe(room, this.#host.media, id, k.value.streamId, k.value.layerId);
        ack();
        return;
      case 'mlsKeyPackage':
      case 'mlsCommit':
      case 'mlsWelcome':
      case 'mlsProposal':
        return room.mls(id, k, requestId);
      case undefined:
        throw MeetingError.invalidRequest('empty message');
    }
  }
}
