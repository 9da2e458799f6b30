// One meeting on this controller: its members (connected here, or disconnected and waiting to resume), their
// layouts, the active speaker and the routing plan. Every operation runs in order on one chain, so the room's state
// and what it persists never interleave.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import {
  ActiveSpeakerUpdateSchema,
  LeaveReason,
  type JoinRequest,
  type ResumeSession,
  type ServerMessage,
} from '@darktower/protocol';
import { MeetingError } from '../errors.ts';
import { HandlerId, MeetingId, ParticipantId, type Millis } from '../ids.ts';
import { ActiveSpeakerDetector } from '../speaker/active-speaker-detector.ts';
import { assignHandlers, topUpHandlers } from '../routing/assign-handlers.ts';
import type { RoutingPlan } from '../routing/routing-plan.ts';
import type { MeetingRecord, ParticipantRecord } from '../state/records.ts';
import type { JoinClaims } from './join-token.ts';
import {
  moveOffFailed,
  resyncUnsynced,
  updateLayouts,
  updateRouting,
  type ReconcileState,
} from './room-reconcile.ts';
import { isConnected, type Member, type ParticipantLink, type RoomDeps } from './room-types.ts';
import { joinResponse, registerMedia } from './room-admission.ts';
import { tellHandlers, topUpMembers } from './room-redundancy.ts';
import { mediaStreamOf, participantOf, serverMessage } from './wire.ts';
import { videoCodecsOf } from './stream-capabilities.ts';
import { RoomDeliveryService, mlsPayloadBytes, type MlsClientKind } from './room-mls.ts';
import { inSpan } from '../observability/spans.ts';

/** Delay before a handler that missed a route update gets its complete routes again. */
const RESYNC_DELAY_MS = 1_000;

/** MLS messages held for one disconnected member (a resume window with that many epochs is not a normal one). */
const MAX_HELD_MLS = 512;
/** And their payload bytes at most (commits and welcomes are up to 64 KiB each). */
const MAX_HELD_MLS_BYTES = 4 * 1024 * 1024;

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/**
 * Whether a resume's join token may take over a session. A signed-in user must come back as the same user. A guest
 * gets a fresh random identity (`guest:<uuid>`) with every join token the Global Controller issues, so a guest
 * session is taken over by any guest token for the meeting: the 256-bit resume token, which only the client holding
 * the session has, is what proves it is the same participant.
 */
function sameIdentity(stored: string, presented: string): boolean {
  if (stored === presented) return true;
  return stored.startsWith(GUEST_PREFIX) && presented.startsWith(GUEST_PREFIX);
}

const GUEST_PREFIX = 'guest:';

export class MeetingRoom {
  readonly meetingId: MeetingId;
  readonly #deps: RoomDeps;
  #meeting: MeetingRecord;
  readonly #members = new Map<ParticipantId, Member>();
  readonly #detector: ActiveSpeakerDetector;
  readonly #state: ReconcileState;
  #chain: Promise<unknown> = Promise.resolve();
  #ended = false;
  #resyncTimer: NodeJS.Timeout | undefined;
  /** The MLS Delivery Service when the meeting has E2EE on. */
  #mls: RoomDeliveryService | undefined;
  /**
   * MLS messages for members disconnected and waiting to resume, delivered in order on resume so their group
   * state does not miss an epoch. Bounded (MAX_HELD_MLS, MAX_HELD_MLS_BYTES): past that the member is re-added to
   * the group on resume.
   */
  readonly #heldMls = new Map<ParticipantId, { messages: ServerMessage[]; bytes: number } | 'overflow'>();

  private constructor(
    deps: RoomDeps,
    meeting: MeetingRecord,
    plan: RoutingPlan | undefined,
    mlsState: string | undefined,
  ) {
    this.#deps = deps;
    this.meetingId = meeting.meetingId;
    this.#meeting = meeting;
    this.#detector = new ActiveSpeakerDetector(deps.clock, deps.options.speaker);
    this.#state = {
      meetingId: meeting.meetingId,
      members: this.#members,
      plan,
      planVersion: plan?.version ?? 0,
      cascadesUp: new Set(),
      unsynced: new Map(),
      activeSpeakers: () => this.#detector.recentSpeakers,
    };
    if (meeting.config.enableE2ee) {
      const send = (to: ParticipantId, message: ServerMessage): void => {
        this.#sendMls(to, message);
      };
      const options = { now: () => deps.clock.now(), ...deps.options.mls };
      try {
        // The group another controller ran continues here (same epoch, members, pending adds).
        this.#mls = new RoomDeliveryService(send, options, mlsState);
      } catch (error) {
        deps.log.warn({ err: error, meetingId: meeting.meetingId }, 'stored MLS state unreadable: new group');
        this.#mls = new RoomDeliveryService(send, options);
      }
    }
  }

  /**
   * Opens a meeting from the store (another controller may have run it before: its participants come back as
   * disconnected, ready to resume) or creates it.
   */
  static async open(deps: RoomDeps, meeting: MeetingRecord): Promise<MeetingRoom> {
    const stored = await deps.store.getRoutingPlan(meeting.meetingId);
    const plan: RoutingPlan | undefined =
      stored === undefined ? undefined : { ...stored, receiveFrom: new Map() };
    const mlsState = meeting.config.enableE2ee ? await deps.store.getMlsState(meeting.meetingId) : undefined;
    const room = new MeetingRoom(deps, meeting, plan, mlsState);
    const now = deps.clock.now();
    for (const record of await deps.store.listParticipants(meeting.meetingId)) {
      const connection =
        record.connection.state === 'connected'
          ? { state: 'disconnected' as const, since: now }
          : record.connection;
      room.#members.set(record.participantId, {
        record: { ...record, connection },
        link: undefined,
        layout: undefined,
        layoutVersion: 0,
        lastPersistAt: now,
      });
    }
    return room;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Whether the meeting runs its MLS Delivery Service (E2EE on). */
  get e2ee(): boolean {
    return this.#mls !== undefined;
  }

  /** The MLS group's epoch at the Delivery Service (undefined: E2EE off, or no group yet). */
  get mlsEpoch(): bigint | undefined {
    return this.#mls?.epoch;
  }

  get memberCount(): number {
    return this.#members.size;
  }

  get connectedCount(): number {
    return [...this.#members.values()].filter(isConnected).length;
  }

  /** Runs `fn` after every earlier operation of this room. */
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.#chain.then(async () => {
      if (this.#ended) throw MeetingError.meetingEnded();
      try {
        return await fn();
      } finally {
        await this.#saveMls();
      }
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  member(id: ParticipantId): Member | undefined {
    return this.#members.get(id);
  }

  connectedMembers(): (Member & { link: ParticipantLink })[] {
    return [...this.#members.values()].filter(isConnected);
  }

  broadcast(message: ServerMessage, except?: ParticipantId): void {
    for (const m of this.#members.values()) {
      if (m.link !== undefined && m.record.participantId !== except) m.link.send(message);
    }
  }

  async persist(member: Member): Promise<void> {
    member.lastPersistAt = this.#deps.clock.now();
    await this.#deps.store.putParticipant(member.record, this.#deps.options.sessionTtlMs);
  }

  /** Layouts and routing after a change; `fullFor` gets a full layout snapshot (answering `requestId`). */
  /**
   * Tells the member's media handlers its current streams (RegisterParticipant again), so that they accept what it
   * publishes after joining. Failures are logged; the handler is marked unhealthy by registerMedia.
   */
  async grantStreams(member: Member): Promise<void> {
    await registerMedia(this.#deps, this.meetingId, member.record).catch((error: unknown) => {
      this.#deps.log.warn({ err: error, participantId: member.record.participantId }, 'stream grant failed');
    });
  }

  async reconcile(fullFor?: ParticipantId, requestId = 0): Promise<void> {
    const updates = updateLayouts(this.#state, fullFor, requestId);
    const moved = await updateRouting(this.#state, this.#deps);
    if (this.#state.unsynced.size > 0) this.#scheduleResync();
    for (const send of updates) send();
    if (moved.size === 0) return;
    // A failover found while routing cost them a handler: a new standby (or primary) where one is open.
    if (await this.#settleMoves(moved)) await this.reconcile();
  }

  /**
   * A handler answered a route update badly (a timeout on a loaded machine, say) without being found dead: a second
   * later, on the room's chain, it gets its complete routes again. Failing it over instead would move every
   * participant off a live handler, the way a stalled controller once cascaded into mass reconnects.
   */
  #scheduleResync(): void {
    if (this.#resyncTimer !== undefined || this.#ended) return;
    this.#resyncTimer = setTimeout(() => {
      this.#resyncTimer = undefined;
      this.run(async () => {
        const failed = await resyncUnsynced(this.#state, this.#deps);
        if (failed.size > 0 && !(await this.#failOver(failed))) await this.reconcile();
        if (this.#state.unsynced.size > 0) this.#scheduleResync();
      }).catch((error: unknown) => {
        if (!this.#ended)
          this.#deps.log.warn({ err: error, meetingId: this.meetingId }, 'route resync failed');
      });
    }, RESYNC_DELAY_MS);
    this.#resyncTimer.unref();
  }

  // ---- membership ------------------------------------------------------------------------------------------

  join(
    claims: JoinClaims,
    request: JoinRequest,
    link: ParticipantLink,
    requestId: number,
  ): Promise<ParticipantId> {
    return this.run(async () => {
      const { options } = this.#deps;
      const max = this.#meeting.config.maxParticipants || options.defaultMaxParticipants;
      if (this.#members.size >= max) throw MeetingError.capacityExceeded();
      const tracing = this.#deps.tracing;
      const handlers = assignHandlers(
        this.#deps.handlers.healthy(),
        new Map([...this.#members].map(([id, m]) => [id, m.record.handlers])),
        options.assignment,
      );
      if (handlers.length === 0) throw MeetingError.unavailable('No media handler available');
      const participantId = ParticipantId(randomUUID());
      const now = this.#deps.clock.now();
      const name = request.participantName.trim().slice(0, 128) || claims.displayName || 'Guest';
      const record: ParticipantRecord = {
        participantId,
        meetingId: this.meetingId,
        userId: claims.subject,
        displayName: name,
        role: claims.role,
        joinedAt: now,
        streams: [],
        subscriptions: [],
        layout: null,
        audioMuted: false,
        videoMuted: false,
        videoCodecs: videoCodecsOf(request.capabilities),
        handlers,
        resumeTokenHash: '',
        connection: { state: 'connected', controllerId: this.#deps.controllerId, since: now },
      };
      const servers = await inSpan(tracing, 'assign_media_handler', () =>
        registerMedia(this.#deps, this.meetingId, record),
      );
      const resumeToken = randomBytes(32).toString('base64url');
      const member: Member = {
        record: {
          ...record,
          handlers: servers.map((s) => HandlerId(s.handlerId)),
          resumeTokenHash: hashToken(resumeToken),
        },
        link,
        layout: undefined,
        layoutVersion: 0,
        lastPersistAt: now,
      };
      await inSpan(tracing, 'create_participant_session', () => this.persist(member));
      const others = inSpan(tracing, 'get_existing_participants', () =>
        this.connectedMembers().map((m) => participantOf(m.record)),
      );
      this.#members.set(participantId, member);
      link.send(
        joinResponse(this.#deps.options, this.#meeting, member, servers, resumeToken, others, requestId),
      );
      this.broadcast(
        serverMessage({ case: 'participantJoined', value: { participant: participantOf(member.record) } }),
        participantId,
      );
      this.#mls?.joined(participantId);
      await this.reconcile();
      return participantId;
    });
  }

  resume(
    claims: JoinClaims,
    request: ResumeSession,
    link: ParticipantLink,
    requestId: number,
  ): Promise<ParticipantId> {
    return this.run(async () => {
      const id = ParticipantId(request.participantId);
      const member = this.#members.get(id);
      if (member === undefined || !sameHash(hashToken(request.resumeToken), member.record.resumeTokenHash)) {
        throw MeetingError.sessionExpired();
      }
      if (!sameIdentity(member.record.userId, claims.subject))
        throw MeetingError.unauthorized('Join token is for another user');
      const wasConnected = member.link !== undefined;
      member.link?.close('session resumed elsewhere');
      const live = this.#deps.handlers.healthy();
      const alive = new Set(live.map((h) => h.handlerId));
      const kept = member.record.handlers.filter((h) => alive.has(h));
      // Its live handlers, topped up to `redundancy` (a fresh primary when none is left).
      const handlers = [
        ...(topUpHandlers(
          live,
          new Map([...this.#members].map(([pid, m]) => [pid, pid === id ? kept : m.record.handlers])),
          id,
          this.#deps.options.assignment,
        ) ?? kept),
      ];
      if (handlers.length === 0) throw MeetingError.unavailable('No media handler available');
      const now = this.#deps.clock.now();
      const servers = await registerMedia(this.#deps, this.meetingId, { ...member.record, handlers });
      const resumeToken = randomBytes(32).toString('base64url');
      member.record = {
        ...member.record,
        handlers: servers.map((s) => HandlerId(s.handlerId)),
        resumeTokenHash: hashToken(resumeToken),
        connection: { state: 'connected', controllerId: this.#deps.controllerId, since: now },
      };
      member.link = link;
      member.layout = undefined;
      await this.persist(member);
      const others = this.connectedMembers()
        .filter((m) => m.record.participantId !== id)
        .map((m) => participantOf(m.record));
      link.send(
        joinResponse(this.#deps.options, this.#meeting, member, servers, resumeToken, others, requestId),
      );
      this.#releaseHeldMls(id, link);
      if (!wasConnected) {
        this.broadcast(
          serverMessage({ case: 'participantJoined', value: { participant: participantOf(member.record) } }),
          id,
        );
      }
      await this.reconcile(id);
      return id;
    });
  }

  /** The participant's session ended without a LeaveMeeting (or missed its heartbeats): keep it for a resume. */
  disconnected(id: ParticipantId, link: ParticipantLink): Promise<void> {
    return this.run(async () => {
      const member = this.#members.get(id);
      if (member?.link !== link) return; // already replaced by a resume, or gone
      member.link = undefined;
      member.layout = undefined;
      member.record = {
        ...member.record,
        connection: { state: 'disconnected', since: this.#deps.clock.now() },
      };
      await this.persist(member);
      this.#leftBroadcast(id, LeaveReason.CONNECTION_LOST);
      await this.reconcile();
    });
  }

  leave(id: ParticipantId, reason: LeaveReason): Promise<void> {
    return this.run(async () => {
      await this.#remove(id, reason);
      await this.reconcile();
    });
  }

  kick(host: ParticipantId, target: ParticipantId, reason: string): Promise<void> {
    return this.run(async () => {
      this.requireHost(host);
      const victim = this.#members.get(target);
      if (victim === undefined) throw MeetingError.notFound('No such participant');
      if (target === host) throw MeetingError.invalidRequest('A host cannot kick themselves');
      victim.link?.send(
        serverMessage({
          case: 'participantLeft',
          value: { participantId: target, reason: LeaveReason.KICKED },
        }),
      );
      victim.link?.close(reason || 'kicked');
      await this.#remove(target, LeaveReason.KICKED);
      await this.reconcile();
    });
  }

  /** Ends the meeting for everyone (`by` a host, or the system when undefined); returns how many were connected. */
  end(by: ParticipantId | undefined, reason: string, requestId = 0): Promise<number> {
    return this.run(async () => {
      if (by !== undefined)
        this.requireHost(by).link?.send(serverMessage({ case: 'ack', value: {} }, requestId));
      const now = this.#deps.clock.now();
      this.#meeting = { ...this.#meeting, state: 'ended', endedAt: now, reason };
      this.#mls = undefined;
      await this.#deps.store.putMeeting(this.#meeting, this.#deps.options.endedMeetingTtlMs);
      const connected = this.connectedMembers();
      const ended = serverMessage({
        case: 'meetingEnded',
        value: { reason, endedByParticipantId: by ?? '' },
      });
      for (const m of connected) {
        m.link.send(ended);
        m.link.close('meeting ended');
      }
      for (const id of [...this.#members.keys()]) await this.#remove(id, LeaveReason.MEETING_ENDED, false);
      await updateRouting(this.#state, this.#deps);
      this.#ended = true;
      return connected.length;
    });
  }

  /**
   * Another controller took the meeting over: stop here without touching the shared state (it is theirs now) and
   * close our sessions so clients resume at the new owner.
   */
  abandon(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#mls = undefined;
    for (const m of this.#members.values()) m.link?.close('session resumed elsewhere: meeting moved');
  }

  /** Drops members whose resume window passed; returns how many. */
  expire(now: Millis): Promise<number> {
    return this.run(async () => {
      let removed = 0;
      for (const [id, m] of [...this.#members]) {
        const c = m.record.connection;
        if (c.state === 'disconnected' && now - c.since >= this.#deps.options.sessionTtlMs) {
          await this.#remove(id, LeaveReason.CONNECTION_LOST, false);
          removed++;
        }
      }
      if (removed > 0) await this.reconcile();
      return removed;
    });
  }

  requireHost(id: ParticipantId): Member {
    const m = this.#members.get(id);
    if (m === undefined) throw MeetingError.notFound('No such participant');
    if (m.record.role !== 'host') throw MeetingError.forbidden('Only the host can do that');
    return m;
  }

  // ---- MLS Delivery Service ---------------------------------------------------------------------------------

  /** An MLS message from a member (answered with RequestAck or ErrorMessage); INVALID_REQUEST when E2EE is off. */
  mls(id: ParticipantId, kind: MlsClientKind, requestId: number): Promise<void> {
    return this.run(() => {
      if (this.#mls === undefined)
        throw MeetingError.invalidRequest('End-to-end encryption is off in this meeting');
      if (this.#members.get(id)?.link === undefined) throw MeetingError.notFound('No such participant');
      this.#mls.handle(id, kind, requestId);
    });
  }

  /** The Delivery Service's timeouts and hourly epoch rotation; call about once a second. */
  mlsTick(): Promise<void> {
    return this.run(() => {
      this.#mls?.tick();
    });
  }

  /** Persists the Delivery Service state when an operation changed it (a controller taking over continues it). */
  async #saveMls(): Promise<void> {
    const state = this.#mls?.takeChangedState();
    if (state === undefined || this.#ended) return;
    await this.#deps.store.putMlsState(this.meetingId, state).catch((error: unknown) => {
      this.#deps.log.warn({ err: error, meetingId: this.meetingId }, 'could not persist the MLS state');
    });
  }

  #sendMls(to: ParticipantId, message: ServerMessage): void {
    const member = this.#members.get(to);
    if (member === undefined) return;
    if (member.link !== undefined) {
      member.link.send(message);
      return;
    }
    const held = this.#heldMls.get(to) ?? { messages: [], bytes: 0 };
    if (held === 'overflow') return;
    const bytes = held.bytes + mlsPayloadBytes(message);
    if (held.messages.length >= MAX_HELD_MLS || bytes > MAX_HELD_MLS_BYTES) {
      this.#heldMls.set(to, 'overflow');
      return;
    }
    held.messages.push(message);
    held.bytes = bytes;
    this.#heldMls.set(to, held);
  }

  /** After a resume: what the DS sent meanwhile, in order; or, if that was too much, a fresh join of the group. */
  #releaseHeldMls(id: ParticipantId, link: ParticipantLink): void {
    const held = this.#heldMls.get(id);
    this.#heldMls.delete(id);
    if (held === undefined || this.#mls === undefined) return;
    if (held === 'overflow') {
      // Its group state is behind for good: the client is asked for a key package again and re-added.
      this.#mls.left(id);
      this.#mls.joined(id);
      return;
    }
    for (const message of held.messages) link.send(message);
  }

  // ---- active speaker ---------------------------------------------------------------------------------------

  /** An audio level (0..1) a media handler measured on one of a participant's audio streams. */
  audioLevel(id: ParticipantId, streamId: string, loudness: number): Promise<void> {
    return this.run(async () => {
      const m = this.#members.get(id);
      if (m?.link === undefined) return;
      if (!m.record.streams.some((s) => s.kind === 'audio' && s.streamId === streamId)) return;
      if (this.#detector.report(id, loudness) !== undefined) await this.#speakerChanged();
    });
  }

  /** Re-evaluates the active speaker as time passes (levels go stale when reports stop); call periodically. */
  evaluateSpeaker(): Promise<void> {
    return this.run(async () => {
      if (this.#detector.evaluate() !== undefined) await this.#speakerChanged();
    });
  }

  async #speakerChanged(): Promise<void> {
    this.broadcast(
      serverMessage({
        case: 'activeSpeaker',
        value: create(ActiveSpeakerUpdateSchema, { participantIds: [...this.#detector.recentSpeakers] }),
      }),
    );
    await this.reconcile();
  }

  // ---- media handlers ---------------------------------------------------------------------------------------

  /** Some handlers died: move participants to their standbys and re-plan. */
  handlersFailed(failed: ReadonlySet<HandlerId>): Promise<void> {
    return this.run(async () => {
      await this.#failOver(failed);
    });
  }

  /**
   * Handlers found dead: their participants move to their standbys (told), get new ones where a handler has room,
   * and the room re-plans. False when nobody here was on them (nothing re-planned).
   */
  async #failOver(failed: ReadonlySet<HandlerId>): Promise<boolean> {
    const moved = new Set<ParticipantId>();
    if (!moveOffFailed(this.#state, failed, moved)) return false;
    await this.#settleMoves(moved);
    await this.reconcile();
    return true;
  }

  /**
   * After members were moved off failed handlers: they are told (publishers by their streams' announcements, the
   * others by a MediaServersUpdate unless a top-up tells them) and topped up. True when a top-up changed handlers.
   */
  async #settleMoves(moved: ReadonlySet<ParticipantId>): Promise<boolean> {
    await this.#announceMoves(moved);
    const told = await this.#topUp();
    for (const id of moved) {
      const m = this.#members.get(id);
      if (m !== undefined && !told.has(id) && m.record.streams.length === 0) tellHandlers(m, this.#deps);
    }
    return told.size > 0;
  }

  /**
   * A handler registered or became healthy again (or the periodic safety pass): members short of `redundancy` live
   * handlers get more, members with none get a fresh primary; then the room re-plans.
   */
  restoreRedundancy(): Promise<void> {
    return this.run(async () => {
      if ((await this.#topUp()).size > 0) await this.reconcile();
    });
  }

  /** Tops up the members that need it (told with MediaServersUpdate); returns who was told. */
  async #topUp(): Promise<Set<ParticipantId>> {
    let changed: Awaited<ReturnType<typeof topUpMembers>> = [];
    try {
      changed = await topUpMembers(this.#members, this.meetingId, this.#deps);
      const moved = new Set<ParticipantId>();
      for (const { member, primaryChanged } of changed) {
        if (primaryChanged) moved.add(member.record.participantId);
        else await this.persist(member);
      }
      // A fresh primary: its streams go there now and its layout names the new delivering handler (persisted too).
      if (moved.size > 0) await this.#announceMoves(moved);
    } catch (error) {
      // The records in memory are what the handlers know; the next persist of these members stores them.
      this.#deps.log.warn({ err: error, meetingId: this.meetingId }, 'restoring handler redundancy failed');
    }
    return new Set(changed.map((c) => c.member.record.participantId));
  }

  async #announceMoves(moved: ReadonlySet<ParticipantId>): Promise<void> {
    for (const id of moved) {
      const m = this.#members.get(id);
      if (m === undefined) continue;
      await this.persist(m);
      // Publishers learn where to send now; their layout is resent with the new delivering handler.
      for (const s of m.record.streams) {
        m.link?.send(
          serverMessage({
            case: 'streamPublished',
            value: {
              participantId: id,
              stream: mediaStreamOf(id, s),
              handlerIds: m.record.handlers.slice(0, 1),
            },
          }),
        );
      }
    }
    for (const id of moved) for (const send of updateLayouts(this.#state, id)) send();
  }

  #leftBroadcast(id: ParticipantId, reason: LeaveReason): void {
    this.broadcast(serverMessage({ case: 'participantLeft', value: { participantId: id, reason } }), id);
    const change = this.#detector.remove(id);
    if (change !== undefined) {
      this.broadcast(
        serverMessage({
          case: 'activeSpeaker',
          value: create(ActiveSpeakerUpdateSchema, { participantIds: [...this.#detector.recentSpeakers] }),
        }),
      );
    }
  }

  async #remove(id: ParticipantId, reason: LeaveReason, announce = true): Promise<void> {
    const member = this.#members.get(id);
    if (member === undefined) return;
    this.#members.delete(id);
    this.#heldMls.delete(id);
    this.#mls?.left(id);
    await this.#deps.store.removeParticipant(this.meetingId, id);
    // Others drop subscriptions to the streams that just went away.
    const gone = new Set<string>(member.record.streams.map((s) => s.streamId));
    for (const m of this.#members.values()) {
      if (m.record.subscriptions.some((s) => gone.has(s.streamId))) {
        m.record = {
          ...m.record,
          subscriptions: m.record.subscriptions.filter((s) => !gone.has(s.streamId)),
        };
        await this.persist(m);
      }
    }
    if (announce || member.link === undefined) this.#leftBroadcast(id, reason);
    else this.#detector.remove(id);
    for (const h of member.record.handlers) {
      this.#deps.media
        .unregisterParticipant(h, this.meetingId, id, AbortSignal.timeout(this.#deps.options.rpcTimeoutMs))
        .catch((error: unknown) => {
          this.#deps.log.warn(
            { err: error, handlerId: h, participantId: id },
            'UnregisterParticipant failed',
          );
        });
    }
  }
}
