// The transport-neutral heart of the Meeting Controller: accepts signaling sessions (any Session: QUIC, WebSocket,
// in-memory), verifies join tokens, opens meetings (from the store when another controller ran them before), and
// keeps presence. Rooms do the per-meeting work.
import type { ClientMessage, StreamQualityUpdate } from '@darktower/protocol';
import type { Session } from '@darktower/transport';
import { MeetingError } from '../errors.ts';
import { MeetingId, type Clock, type HandlerId, type ParticipantId } from '../ids.ts';
import { noMetrics, type MeetingMetrics } from '../meeting-metrics.ts';
import { inRemoteSpan, inSpan, type SpanTracing } from '../observability/spans.ts';
import type { HandlerRegistry } from '../routing/handler-registry.ts';
import { loudnessFromDbov } from '../speaker/active-speaker-detector.ts';
import type { MeetingBus, MeetingBusEvent } from '../state/meeting-bus.ts';
import type { MeetingStore } from '../state/meeting-store.ts';
import type { MeetingConfigRecord, MeetingRecord } from '../state/records.ts';
import { SignalingCloseCode } from './close-codes.ts';
import type { JoinClaims, JoinTokenVerifier } from './join-token.ts';
import type { MediaHandlerGateway } from './media-gateway.ts';
import { MeetingRoom } from './meeting-room.ts';
import { SIGNALING_PROTOCOL_VERSION } from './room-admission.ts';
import {
  ParticipantConnection,
  defaultConnectionOptions,
  type ConnectionHost,
  type ConnectionOptions,
} from './participant-connection.ts';
import { relayQuality } from './room-streams.ts';
import { defaultRoomOptions, type ParticipantLink, type RoomLogger, type RoomOptions } from './room-types.ts';

export interface SignalingServiceDeps {
  readonly controllerId: string;
  readonly clock: Clock;
  readonly store: MeetingStore;
  readonly media: MediaHandlerGateway;
  readonly handlers: HandlerRegistry;
  readonly verifier: JoinTokenVerifier;
  readonly log: RoomLogger;
  readonly metrics?: MeetingMetrics;
  /** Spans of the join flow, continuing the client's trace (ClientMessage.traceparent). */
  readonly tracing?: SpanTracing;
  readonly roomOptions?: Partial<RoomOptions>;
  /** Pub/sub with other controllers sharing the store (absent with an in-process store). */
  readonly bus?: MeetingBus;
  readonly connectionOptions?: Partial<ConnectionOptions>;
}

const JTI_GRACE_MS = 60_000;
/** How often the sweep restores redundancy without a trigger (handler registrations and failovers trigger it). */
const REDUNDANCY_PASS_MS = 30_000;

export class SignalingService implements AsyncDisposable {
  readonly #deps: SignalingServiceDeps;
  readonly #roomOptions: RoomOptions;
  readonly #host: ConnectionHost;
  readonly #metrics: MeetingMetrics;
  readonly #rooms = new Map<MeetingId, MeetingRoom>();
  readonly #opening = new Map<MeetingId, Promise<MeetingRoom>>();
  readonly #connections = new Set<ParticipantConnection>();
  #closing: Promise<void> | undefined;
  #redundancyPass: Promise<void> | undefined;
  #lastRedundancyPassAt = 0;
  #unsubscribe: (() => Promise<void>) | undefined;

  constructor(deps: SignalingServiceDeps) {
    this.#deps = deps;
    this.#roomOptions = { ...defaultRoomOptions, ...deps.roomOptions };
    this.#metrics = deps.metrics ?? noMetrics;
    this.#host = {
      clock: deps.clock,
      log: deps.log,
      options: { ...defaultConnectionOptions, ...deps.connectionOptions },
      roomOptions: this.#roomOptions,
      media: deps.media,
      admit: (message, link) => this.#admit(message, link),
      counted: (kind, outcome) => {
        this.#metrics.message(kind, outcome);
      },
      forget: (connection) => {
        this.#connections.delete(connection);
        this.#refreshGauges();
      },
    };
  }

  get roomOptions(): RoomOptions {
    return this.#roomOptions;
  }

  /** Starts listening to other controllers (when there is a bus). */
  async start(): Promise<void> {
    const bus = this.#deps.bus;
    if (bus === undefined || this.#unsubscribe !== undefined) return;
    this.#unsubscribe = await bus.subscribe((event) => {
      this.#onBusEvent(event);
    });
  }

  #onBusEvent(event: MeetingBusEvent): void {
    if (event.controllerId === this.#deps.controllerId) return;
    const id = MeetingId(event.meetingId);
    const room = this.#rooms.get(id);
    if (room === undefined) return;
    this.#rooms.delete(id);
    if (event.type === 'meeting-claimed') {
      this.#deps.log.info({ meetingId: id, by: event.controllerId }, 'meeting moved to another controller');
      room.abandon();
    } else {
      // The store already says ended; tell our participants.
      void room.end(undefined, event.reason).catch(() => 0);
    }
    this.#refreshGauges();
  }

  /** Serves one signaling session until it ends. */
  accept(session: Session): ParticipantConnection {
    if (this.#closing !== undefined) {
      session.close({ closeCode: SignalingCloseCode.shuttingDown, reason: 'shutting down' });
    }
    const connection = new ParticipantConnection(session, this.#host);
    this.#connections.add(connection);
    this.#refreshGauges();
    return connection;
  }

  stats(): { meetings: number; participants: number; connections: number } {
    let participants = 0;
    for (const room of this.#rooms.values()) participants += room.memberCount;
    return { meetings: this.#rooms.size, participants, connections: this.#connections.size };
  }

  meetingIds(): MeetingId[] {
    return [...this.#rooms.keys()];
  }

  room(meetingId: MeetingId): MeetingRoom | undefined {
    return this.#rooms.get(meetingId);
  }

  /** The Global Controller assigned a meeting to this controller. */
  async assignMeeting(meetingId: MeetingId, config: MeetingConfigRecord): Promise<boolean> {
    const existing = await this.#deps.store.getMeeting(meetingId);
    if (existing?.state === 'ended') return false;
    if (existing === undefined) {
      await this.#deps.store.createMeeting({
        state: 'active',
        meetingId,
        config,
        createdAt: this.#deps.clock.now(),
      });
    }
    return true;
  }

  /** Ends a meeting (Global Controller request); returns how many participants were connected. */
  async endMeeting(meetingId: MeetingId, reason: string): Promise<number> {
    const room = await this.#openRoom(meetingId, false).catch(() => undefined);
    if (room === undefined) {
      const meeting = await this.#deps.store.getMeeting(meetingId);
      if (meeting === undefined || meeting.state === 'ended') return 0;
      await this.#deps.store.putMeeting(
        { ...meeting, state: 'ended', endedAt: this.#deps.clock.now(), reason },
        this.#roomOptions.endedMeetingTtlMs,
      );
      return 0;
    }
    const n = await room.end(undefined, reason);
    this.#rooms.delete(meetingId);
    await this.#deps.bus
      ?.publish({ type: 'meeting-ended', meetingId, controllerId: this.#deps.controllerId, reason })
      .catch((error: unknown) => {
        this.#deps.log.warn({ err: error }, 'could not announce the meeting end');
      });
    this.#refreshGauges();
    return n;
  }

  /** What the Global Controller sees of a meeting (GetMeetingState). */
  async meetingState(meetingId: MeetingId): Promise<
    | {
        meeting: MeetingRecord;
        participants: Awaited<ReturnType<MeetingStore['listParticipants']>>;
        planVersion: number;
      }
    | undefined
  > {
    const meeting = await this.#deps.store.getMeeting(meetingId);
    if (meeting === undefined) return undefined;
    const participants = await this.#deps.store.listParticipants(meetingId);
    const plan = await this.#deps.store.getRoutingPlan(meetingId);
    return { meeting, participants, planVersion: plan?.version ?? 0 };
  }

  /** Audio levels from a media handler (RFC 6464 -dBov). */
  async audioLevel(
    meetingId: MeetingId,
    participantId: ParticipantId,
    streamId: string,
    dbov: number,
  ): Promise<void> {
    await this.#rooms.get(meetingId)?.audioLevel(participantId, streamId, loudnessFromDbov(dbov));
  }

  /** Re-evaluates every meeting's active speaker (the detector's hold and dominance times pass without reports). */
  async evaluateSpeakers(): Promise<void> {
    await Promise.allSettled([...this.#rooms.values()].map((room) => room.evaluateSpeaker()));
  }

  /** What a media handler measured for a subscriber of a stream: relayed to the stream's publisher. */
  async handlerQuality(
    meetingId: MeetingId,
    subscriber: ParticipantId,
    update: StreamQualityUpdate,
  ): Promise<void> {
    const room = this.#rooms.get(meetingId);
    if (room !== undefined) await relayQuality(room, subscriber, update).catch(() => undefined);
  }

  /** Handlers stopped answering: every meeting fails its participants over (and restores redundancy after). */
  async handlersFailed(failed: ReadonlySet<HandlerId>): Promise<void> {
    await Promise.allSettled([...this.#rooms.values()].map((room) => room.handlersFailed(failed)));
  }

  /**
   * A media handler registered or became healthy again: every meeting gives its participants short of
   * `redundancy` live handlers another one (a fresh primary to those with none). Triggers in the same tick (a burst
   * of handlers registering after a controller restart) share one pass; one arriving during a pass queues the next.
   */
  restoreRedundancy(): Promise<void> {
    this.#redundancyPass ??= Promise.resolve().then(async () => {
      this.#redundancyPass = undefined;
      this.#lastRedundancyPassAt = this.#deps.clock.now();
      await Promise.allSettled([...this.#rooms.values()].map((room) => room.restoreRedundancy()));
    });
    return this.#redundancyPass;
  }

  /**
   * Presence: sessions without a heartbeat for two intervals are closed (their participants become resumable),
   * resume windows that passed are closed for good, and meetings nobody is in are dropped from memory.
   */
  async sweep(): Promise<void> {
    const now = this.#deps.clock.now();
    const limit = 2 * this.#roomOptions.heartbeatIntervalMs;
    const stale = [...this.#connections].filter(
      (c) => c.participantId !== undefined && now - c.lastHeartbeatAt > limit,
    );
    await Promise.all(stale.map((c) => c.shutdown(SignalingCloseCode.timeout, 'heartbeat timeout')));
    await Promise.all(stale.map((c) => c.closed));
    for (const [id, room] of this.#rooms) {
      await room.expire(now).catch(() => 0);
      await room.mlsTick().catch(() => undefined);
      if (room.ended || room.memberCount === 0) this.#rooms.delete(id);
    }
    this.#refreshGauges();
    // The safety pass behind the triggers (a registration RPC that failed is retried here at the latest).
    if (now - this.#lastRedundancyPassAt >= REDUNDANCY_PASS_MS) await this.restoreRedundancy();
  }

  /** Measures one store round trip (readiness + metric). */
  async pingStore(signal?: AbortSignal): Promise<number> {
    const started = performance.now();
    await this.#deps.store.ping(signal);
    const seconds = (performance.now() - started) / 1000;
    this.#metrics.storeSeconds(seconds);
    return seconds;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#unsubscribe?.().catch(() => undefined);
      const open = [...this.#connections];
      await Promise.all(
        open.map((c) => c.shutdown(SignalingCloseCode.shuttingDown, 'controller shutting down')),
      );
      await Promise.all(open.map((c) => c.closed));
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #refreshGauges(): void {
    this.#metrics.gauges({
      ...this.stats(),
      meetingSizes: [...this.#rooms.values()].map((room) => room.memberCount),
    });
  }

  async #admit(
    message: ClientMessage,
    link: ParticipantLink,
  ): Promise<{ room: MeetingRoom; participantId: ParticipantId }> {
    const started = performance.now();
    try {
      const result = await inRemoteSpan(
        this.#deps.tracing,
        message.traceparent,
        'join_request_processing',
        async () => {
          const admitted = await this.#admitInner(message, link);
          this.#deps.log.info(
            {
              meeting_id: admitted.room.meetingId,
              participant_id: admitted.participantId,
              kind: message.kind.case,
            },
            message.kind.case === 'resume' ? 'participant resumed' : 'participant joined',
          );
          return admitted;
        },
      );
      this.#metrics.joinSeconds((performance.now() - started) / 1000, 'ok');
      this.#refreshGauges();
      return result;
    } catch (error) {
      this.#metrics.joinSeconds((performance.now() - started) / 1000, 'error');
      throw error;
    }
  }

  async #admitInner(
    message: ClientMessage,
    link: ParticipantLink,
  ): Promise<{ room: MeetingRoom; participantId: ParticipantId }> {
    const k = message.kind;
    if (k.case !== 'join' && k.case !== 'resume')
      throw MeetingError.unauthorized('JoinRequest must come first');
    const version = k.value.protocolVersion;
    if (version !== 0 && version !== SIGNALING_PROTOCOL_VERSION)
      throw MeetingError.unsupportedVersion(version);
    const claims = await inSpan(this.#deps.tracing, 'validate_token', async () => {
      const verified = await this.#deps.verifier.verify(k.value.joinToken);
      if (verified.meetingId !== k.value.meetingId)
        throw MeetingError.unauthorized('Join token is for another meeting');
      await this.#claim(verified);
      return verified;
    });
    const meetingId = MeetingId(claims.meetingId);
    if (k.case === 'join') {
      const room = await this.#openRoom(meetingId, true);
      return { room, participantId: await room.join(claims, k.value, link, message.requestId) };
    }
    const room = await this.#openRoom(meetingId, false).catch((error: unknown) => {
      throw error instanceof MeetingError &&
        error.code === 'NOT_FOUND' &&
        error.message !== 'Meeting has ended'
        ? MeetingError.sessionExpired()
        : error;
    });
    return { room, participantId: await room.resume(claims, k.value, link, message.requestId) };
  }

  async #claim(claims: JoinClaims): Promise<void> {
    const ttl = Math.max(1_000, claims.expiresAt * 1000 - this.#deps.clock.now() + JTI_GRACE_MS);
    if (!(await this.#deps.store.claimTokenId(claims.tokenId, ttl))) {
      throw MeetingError.unauthorized('Join token was already used');
    }
  }

  /** The room of a meeting: in memory, else loaded from the store (created on a join when unknown). */
  #openRoom(meetingId: MeetingId, create: boolean): Promise<MeetingRoom> {
    const open = this.#rooms.get(meetingId);
    if (open !== undefined && !open.ended) return Promise.resolve(open);
    const pending = this.#opening.get(meetingId);
    if (pending !== undefined) return pending;
    const opening = (async () => {
      let meeting: MeetingRecord | undefined = await this.#deps.store.getMeeting(meetingId);
      if (meeting?.state === 'ended') throw MeetingError.meetingEnded();
      if (meeting === undefined) {
        if (!create) throw MeetingError.notFound('Unknown meeting');
        // The join token proves the Global Controller admitted this meeting; it may not have assigned it yet.
        meeting = await this.#deps.store.createMeeting({
          state: 'active',
          meetingId,
          config: {
            displayName: '',
            maxParticipants: this.#roomOptions.defaultMaxParticipants,
            enableE2ee: true,
            recordingEnabled: false,
          },
          createdAt: this.#deps.clock.now(),
        });
        if (meeting.state === 'ended') throw MeetingError.meetingEnded();
      }
      const room = await MeetingRoom.open(
        {
          controllerId: this.#deps.controllerId,
          clock: this.#deps.clock,
          store: this.#deps.store,
          media: this.#deps.media,
          handlers: this.#deps.handlers,
          options: this.#roomOptions,
          log: this.#deps.log,
          ...(this.#deps.tracing === undefined ? {} : { tracing: this.#deps.tracing }),
        },
        meeting,
      );
      this.#rooms.set(meetingId, room);
      // Whoever ran this meeting before lets go of it.
      await this.#deps.bus
        ?.publish({ type: 'meeting-claimed', meetingId, controllerId: this.#deps.controllerId })
        .catch((error: unknown) => {
          this.#deps.log.warn({ err: error }, 'could not announce the meeting claim');
        });
      return room;
    })();
    this.#opening.set(meetingId, opening);
    return opening.finally(() => this.#opening.delete(meetingId));
  }
}
