import { create } from '@bufbuild/protobuf';
import {
  Envelopes,
  ErrorCode,
  fourCCForCodec,
  MediaAuthSchema,
  MediaClientMessageSchema,
  MediaHandlerLoadSchema,
  MediaTelemetrySchema,
  MediaServerMessageSchema,
  readMessages,
  RouteAction,
  tryParseStreamId,
  type GetStatsResponse,
  type MediaHandlerLoad,
  type MediaTelemetry,
  type RegisterParticipantRequest,
  type RegisterParticipantResponse,
  type RouteMediaRequest,
  type RouteMediaResponse,
  type SetupCascadeRequest,
  type StreamQualityFeedback,
  StreamQualityFeedbackSchema,
} from '@darktower/protocol';
import type { Tracing } from '@darktower/service-kit';
import type { BidirectionalStream, Session } from '@darktower/transport';
import { randomUUID } from 'node:crypto';
import { isServiceToken, type ServiceTokenVerifier } from './auth.ts';
import type { Clock } from './clock.ts';
import { CapacityMeter } from './core/capacity.ts';
import type { Destination } from './core/destination.ts';
import { Forwarder } from './core/forwarder.ts';
import { RoutePlans, type RouteChange } from './core/route-plans.ts';
import type { OutputLimits } from './core/subscriber-output.ts';
import { ConnectionTokenStore, type ConnectionGrant } from './core/token-store.ts';
import { isMediaError, MediaError, WIRE_CODE } from './errors.ts';
import {
  asHandlerId,
  asMeetingId,
  asParticipantId,
  type HandlerId,
  type MeetingId,
  type ParticipantId,
  type StreamId,
} from './ids.ts';
import { ClientControlPort, MAX_CONTROL_MESSAGE, ServerControlPort } from './session/control-port.ts';
import { MediaConnection, type ConnectionLimits, type Peer } from './session/media-connection.ts';

/** Opens a WebTransport session to a peer handler (cascading). */
export type Dialer = (
  url: string,
  certificateHashes: readonly Uint8Array[],
  signal: AbortSignal,
) => Promise<Session>;

export interface MediaHandlerCoreOptions {
  handlerId: HandlerId;
  /** URL clients connect their media session to (known once the media port is bound). */
  mediaUrl: () => string;
  serverCertificateHashes?: () => readonly Uint8Array[];
  clock: Clock;
  capacity: CapacityMeter;
  output: OutputLimits;
  connection: ConnectionLimits;
  keyframeIntervalMs: number;
  /** A session without a valid auth message within this time is closed (default 5 s). */
  authTimeoutMs: number;
  tokenTtlMs: number;
  maxParticipants: number;
  serviceTokens: ServiceTokenVerifier;
  dialer?: Dialer | undefined;
  /**
   * Turns SetupCascadeRequest.service_token (possibly empty) into what this handler presents to the peer it dials
   * (default: the token as given).
   */
  cascadeCredential?: ((serviceToken: string, signal: AbortSignal) => Promise<string>) | undefined;
  /** Spans of media session authentication, continuing the client's trace. */
  tracing?: Pick<Tracing, 'startActiveSpan' | 'withRemoteParent'> | undefined;
}

interface RegisteredParticipant {
  meetingId: MeetingId;
  streamIds: StreamId[];
  /** Simulcast groups this participant declared. */
  groups: StreamId[];
}

const PROTOCOL_VERSION = 1;
/**
 * A cascade link silent this long is presumed dead when the controller asks for it again. A link carrying media is
 * never this quiet (data one way, acknowledgements the other); an idle one may be (keep-alives come every 10 s),
 * and dialing it anew costs nothing since it carries nothing.
 */
const LINK_QUIET_MS = 3_000;
const MAX_TOKEN_TTL_MS = 5 * 60_000;

/**
 * The Media Handler without its transports: accepts media sessions (any `Session`), serves the
 * MediaHandlerService operations, dials cascade peers through an injected dialer. `buildMediaHandler` wires it to
 * QUIC, the ops server and the Meeting Controller.
 */
export class MediaHandlerCore {
  readonly handlerId: HandlerId;
  readonly forwarder: Forwarder;
  readonly tokens: ConnectionTokenStore;
  readonly capacity: CapacityMeter;
  readonly #o: MediaHandlerCoreOptions;
  readonly #plans: RoutePlans;
  readonly #participants = new Map<ParticipantId, RegisteredParticipant>();
  readonly #connections = new Map<ParticipantId, MediaConnection>();
  readonly #cascades = new Map<HandlerId, MediaConnection>();
  /** Codecs of each registered participant's streams; re-registrations update the map in place (grants hold it). */
  readonly #codecs = new Map<ParticipantId, Map<StreamId, string>>();
  readonly #pending = new Set<Session>();
  readonly #abort = new AbortController();
  readonly counters = { authFailures: 0, authTimeouts: 0, sessionsAccepted: 0, refusedAtCapacity: 0 };
  #lastForwardedBytes = 0;
  #closed = false;

  constructor(options: MediaHandlerCoreOptions) {
    this.#o = options;
    this.handlerId = options.handlerId;
    this.capacity = options.capacity;
    this.forwarder = new Forwarder({
      clock: options.clock,
      limits: options.output,
      keyframeIntervalMs: options.keyframeIntervalMs,
      capacity: options.capacity,
    });
    this.tokens = new ConnectionTokenStore({ clock: options.clock, ttlMs: options.tokenTtlMs });
    this.#plans = new RoutePlans(this.forwarder);
  }

  get participantCount(): number {
    return this.#participants.size;
  }

  get sessionCount(): number {
    return this.#connections.size + this.#cascades.size;
  }

  get cascadeCount(): number {
    return this.#cascades.size;
  }

  /** Meeting of a registered participant. */
  meetingOf(participantId: string): MeetingId | undefined {
    return this.#participants.get(asParticipantId(participantId))?.meetingId;
  }

  connection(participantId: ParticipantId): MediaConnection | undefined {
    return this.#connections.get(participantId);
  }

  cascade(handlerId: HandlerId): MediaConnection | undefined {
    return this.#cascades.get(handlerId);
  }

  // ---- media sessions ---------------------------------------------------------------------------------------

  /** Takes an incoming media session; it must authenticate on its first bidi stream within the auth timeout. */
  acceptSession(session: Session): void {
    if (this.#closed) {
      session.close({ closeCode: WIRE_CODE.INTERNAL_ERROR, reason: 'shutting down' });
      return;
    }
    this.#pending.add(session);
    void this.#authenticate(session).finally(() => this.#pending.delete(session));
  }

  async #authenticate(session: Session): Promise<void> {
    const timeout = AbortSignal.timeout(this.#o.authTimeoutMs);
    const signal = AbortSignal.any([timeout, this.#abort.signal]);
    let control: ServerControlPort | undefined;
    try {
      const stream = await firstBidi(session, signal);
      const incoming = readMessages(stream.readable, Envelopes.mediaClient, {
        maxMessageSize: MAX_CONTROL_MESSAGE,
      })[Symbol.asyncIterator]();
      const first = await raceSignal(incoming.next(), signal);
      control = new ServerControlPort(stream, incoming);
      if (first.done === true || first.value.kind.case !== 'auth') {
        throw MediaError.unauthorized('the first control message must be auth');
      }
      const token = first.value.kind.value.connectionToken;
      const auth = first.value;
      const ctl = control;
      // The client's media_connection_establish span (MediaClientMessage.traceparent) is this span's parent.
      await inRemoteSpan(this.#o.tracing, auth.traceparent, 'media_session_authenticate', async () => {
        const peer = await this.#identify(token, signal);
        const conn = new MediaConnection(
          session,
          peer,
          ctl,
          this.forwarder,
          this.#o.clock,
          this.#o.connection,
        );
        this.#admit(conn);
        await ctl.send(
          create(MediaServerMessageSchema, {
            requestId: auth.requestId,
            kind: {
              case: 'authOk',
              value: {
                sessionId: randomUUID(),
                publishStreamIds: peer.kind === 'participant' ? [...peer.grant.streamIds] : [],
                protocolVersion: PROTOCOL_VERSION,
                datagramsEnabled: true,
              },
            },
          }),
        );
        conn.start();
        this.counters.sessionsAccepted++;
      });
    } catch (error) {
      if (timeout.aborted) this.counters.authTimeouts++;
      else this.counters.authFailures++;
      const e = isMediaError(error)
        ? error
        : timeout.aborted
          ? MediaError.timeout('no authentication within the deadline')
          : MediaError.unauthorized('authentication failed');
      if (control !== undefined) {
        await control.sendError(toErrorCode(e), e.message).catch(() => undefined);
      }
      session.close({
        closeCode: e.wireCode === WIRE_CODE.QUOTA_EXCEEDED ? e.wireCode : WIRE_CODE.AUTHENTICATION_FAILED,
        reason: e.message,
      });
    }
  }

  async #identify(token: string, signal: AbortSignal): Promise<Peer> {
    if (isServiceToken(token)) {
      const { handlerId } = await raceSignal(this.#o.serviceTokens.verify(token, signal), signal).catch(
        (error: unknown) => {
          throw isMediaError(error) ? error : MediaError.unauthorized('invalid service token');
        },
      );
      return { kind: 'cascade', handlerId };
    }
    const grant = this.tokens.consume(token);
    if (!this.#participants.has(grant.participantId))
      throw MediaError.unauthorized('participant is not registered');
    // Above 80% of the bandwidth no new participant session starts here (a reconnect of one already connected is
    // let in: it replaces its old session and adds no load).
    if (!this.#connections.has(grant.participantId) && !this.capacity.acceptsParticipants) {
      this.counters.refusedAtCapacity++;
      throw MediaError.capacity('bandwidth above 80% of capacity: not accepting new sessions');
    }
    return { kind: 'participant', participantId: grant.participantId, grant };
  }

  #admit(conn: MediaConnection): void {
    const peer = conn.peer;
    if (peer.kind === 'participant') {
      // A reconnect replaces the old session of the same participant.
      this.#connections.get(peer.participantId)?.retire(WIRE_CODE.NO_ERROR, 'replaced by a new session');
      this.#connections.set(peer.participantId, conn);
      void conn.closed.then(() => {
        if (this.#connections.get(peer.participantId) === conn) this.#connections.delete(peer.participantId);
      });
    } else {
      // A new link from (or to) the same handler replaces the old one: the peer restarted, or the old link died
      // without its session noticing yet (the dialing side decides; see setupCascade).
      this.#cascades.get(peer.handlerId)?.retire(WIRE_CODE.NO_ERROR, 'replaced by a new cascade link');
      this.#cascades.set(peer.handlerId, conn);
      void conn.closed.then(() => {
        if (this.#cascades.get(peer.handlerId) === conn) this.#cascades.delete(peer.handlerId);
      });
    }
  }

  // ---- MediaHandlerService ----------------------------------------------------------------------------------

  registerParticipant(request: RegisterParticipantRequest): Omit<RegisterParticipantResponse, '$typeName'> {
    const p = request.participant;
    if (p === undefined || p.participantId === '' || p.meetingId === '') {
      throw MediaError.invalidRequest('participant_id and meeting_id are required');
    }
    const participantId = asParticipantId(p.participantId);
    if (!this.#participants.has(participantId)) {
      if (!this.capacity.acceptsParticipants) {
        this.counters.refusedAtCapacity++;
        throw MediaError.capacity('bandwidth above 80% of capacity: not accepting new participants');
      }
      if (this.#participants.size >= this.#o.maxParticipants)
        throw MediaError.capacity('participant limit reached');
    }
    const streamIds: StreamId[] = [];
    const groups: StreamId[] = [];
    const codecs = new Map<StreamId, string>();
    for (const stream of p.streams) {
      const id = parseId(stream.streamId);
      const layers = stream.metadata?.video?.simulcastLayers ?? [];
      for (const layer of layers) {
        const layerId = parseId(layer.streamId);
        streamIds.push(layerId);
        if (stream.metadata?.codec) codecs.set(layerId, stream.metadata.codec);
      }
      if (layers.length > 0) {
        const info = {
          streamId: id,
          media: 'video' as const,
          streamType: stream.streamType,
          // Subscribers get this in the stream header: a FourCC, while metadata names the codec ("VP9").
          codec: fourCCForCodec(stream.metadata?.codec ?? '') ?? 'VP09',
          publisherId: participantId,
        };
        groups.push(id);
        this.forwarder.defineSimulcast(
          info,
          layers.map((l) => ({
            streamId: parseId(l.streamId),
            layerId: l.layerId,
            maxBitrate: l.maxBitrate,
          })),
        );
      } else {
        streamIds.push(id);
        if (stream.metadata?.codec) codecs.set(id, stream.metadata.codec);
      }
    }
    const meetingId = asMeetingId(p.meetingId);
    const prior = this.#participants.get(participantId);
    if (prior?.meetingId === meetingId) {
      // Registering again (the participant published or withdrew a stream): live sessions share these arrays, so
      // what they may publish changes at once.
      prior.streamIds.splice(0, prior.streamIds.length, ...streamIds);
      for (const g of prior.groups) if (!groups.includes(g)) this.forwarder.removeSimulcast(g);
      prior.groups.splice(0, prior.groups.length, ...groups);
      const live = this.#codecs.get(participantId);
      if (live !== undefined) {
        live.clear();
        for (const [k, v] of codecs) live.set(k, v);
      }
      // Streams the controller no longer lists (unpublished) stop now and cannot be published again.
      this.#connections.get(participantId)?.revokeUnassigned();
    } else {
      this.#participants.set(participantId, { meetingId, streamIds, groups });
    }
    const registration = this.#participants.get(participantId) ?? { meetingId, streamIds, groups };
    const ttl = Math.min(request.tokenTtlMs > 0 ? request.tokenTtlMs : this.#o.tokenTtlMs, MAX_TOKEN_TTL_MS);
    const grant: ConnectionGrant = {
      participantId,
      meetingId,
      streamIds: registration.streamIds,
      codecs: this.#codecs.get(participantId) ?? codecs,
    };
    if (!this.#codecs.has(participantId)) this.#codecs.set(participantId, codecs);
    const minted = this.tokens.mint(grant);
    return {
      connectionToken: minted.token,
      mediaHandlerUrl: this.#o.mediaUrl(),
      assignedStreamIds: streamIds,
      tokenExpiresAt: BigInt(Math.round(Date.now() + Math.min(ttl, minted.expiresAt - this.#o.clock.now()))),
      handlerId: this.handlerId,
      serverCertificateHashes: [...(this.#o.serverCertificateHashes?.() ?? [])],
    };
  }

  unregisterParticipant(meetingId: string, participantId: string): number {
    const id = asParticipantId(participantId);
    const reg = this.#participants.get(id);
    this.tokens.revokeParticipant(id);
    this.#codecs.delete(id);
    this.#connections.get(id)?.close(WIRE_CODE.NO_ERROR, 'unregistered');
    if (reg?.meetingId !== meetingId) return 0;
    this.#participants.delete(id);
    for (const g of reg.groups) this.forwarder.removeSimulcast(g);
    return this.#plans.removeParticipant(
      reg.meetingId,
      { kind: 'participant', participantId: id },
      reg.streamIds,
    );
  }

  routeMedia(request: RouteMediaRequest): Omit<RouteMediaResponse, '$typeName'> {
    if (request.meetingId === '') throw MediaError.invalidRequest('meeting_id is required');
    const changes: RouteChange[] = [];
    for (const c of request.commands) {
      const sourceId = parseId(c.sourceStreamId);
      const action = c.action === RouteAction.REMOVE ? 'remove' : 'add';
      const destinations: { destination: Destination; forwardedId?: StreamId; slot?: number }[] = [];
      for (const pid of c.destinationParticipantIds) {
        destinations.push({ destination: { kind: 'participant', participantId: asParticipantId(pid) } });
      }
      for (const d of c.destinations) {
        const t = d.target;
        if (t.case === 'local') {
          destinations.push({
            destination: { kind: 'participant', participantId: asParticipantId(t.value.participantId) },
            forwardedId: t.value.forwardedStreamId === '' ? undefined : parseId(t.value.forwardedStreamId),
            slot: t.value.slot,
          });
        } else if (t.case === 'remote') {
          destinations.push({ destination: { kind: 'handler', handlerId: asHandlerId(t.value.handlerId) } });
        } else {
          throw MediaError.invalidRequest('route destination without a target');
        }
      }
      for (const d of destinations) {
        changes.push({
          action,
          sourceId,
          destination: d.destination,
          options: { forwardedId: d.forwardedId, slot: d.slot },
        });
      }
    }
    const routes = this.#plans.apply(
      asMeetingId(request.meetingId),
      request.planVersion,
      changes,
      request.replaceAll,
    );
    return { appliedPlanVersion: request.planVersion, routes };
  }

  /** Dials a peer handler and authenticates with the service token; the link carries streams both ways. */
  async setupCascade(request: SetupCascadeRequest, signal?: AbortSignal): Promise<string> {
    const peerId = asHandlerId(request.peerHandlerId);
    const existing = this.#cascades.get(peerId);
    // The controller asks for a pair's link once per meeting that needs it (and again after it saw the peer fail or
    // restart). A link that is alive, whichever side dialed it, carries every meeting the pair shares: keep it, or
    // each new meeting would cut the others' relayed media for a key frame's wait. A link the peer has not been
    // heard on for LINK_QUIET_MS (QUIC keep-alives and acknowledgements count) is presumed dead: dial anew; the new
    // link replaces it on both sides.
    if (existing !== undefined && this.#o.clock.now() - existing.heardAt < LINK_QUIET_MS)
      return `${this.handlerId}->${peerId}`;
    const dialer = this.#o.dialer;
    if (dialer === undefined) throw MediaError.invalidRequest('this handler cannot dial peers');
    const s = AbortSignal.any([
      AbortSignal.timeout(this.#o.authTimeoutMs),
      this.#abort.signal,
      ...(signal ? [signal] : []),
    ]);
    const credential =
      this.#o.cascadeCredential === undefined
        ? request.serviceToken
        : await this.#o.cascadeCredential(request.serviceToken, s);
    if (credential === '') throw MediaError.invalidRequest('no service token for the peer');
    const session = await dialer(request.peerMediaUrl, request.peerServerCertificateHashes, s);
    try {
      const stream = await session.createBidirectionalStream();
      const control = new ClientControlPort(stream);
      await control.send(
        create(MediaClientMessageSchema, {
          requestId: 1,
          kind: {
            case: 'auth',
            value: create(MediaAuthSchema, {
              connectionToken: credential,
              protocolVersion: PROTOCOL_VERSION,
            }),
          },
        }),
      );
      const reply = await raceSignal(control.incoming.next(), s);
      if (reply.done === true || reply.value.kind.case !== 'authOk') {
        throw MediaError.unauthorized(
          reply.done !== true && reply.value.kind.case === 'error'
            ? reply.value.kind.value.message
            : 'peer refused the cascade',
        );
      }
      const conn = new MediaConnection(
        session,
        { kind: 'cascade', handlerId: peerId },
        control,
        this.forwarder,
        this.#o.clock,
        this.#o.connection,
      );
      this.#admit(conn);
      conn.start();
      return `${this.handlerId}->${peerId}`;
    } catch (error) {
      session.close({ closeCode: WIRE_CODE.AUTHENTICATION_FAILED, reason: 'cascade setup failed' });
      throw error;
    }
  }

  requestKeyframe(streamId: string): boolean {
    // A published stream, or a simulcast group id (mapped to the layers its subscribers want).
    return this.forwarder.requestKeyframe(parseId(streamId));
  }

  // ---- load and telemetry -----------------------------------------------------------------------------------

  /** Call once a second: turns byte counters into rates for the capacity thresholds. */
  tick(): void {
    for (const link of this.#cascades.values()) link.noteTraffic();
    const forwarded = this.forwarder.totals().bytesForwarded;
    this.capacity.addOut(forwarded - this.#lastForwardedBytes);
    this.#lastForwardedBytes = forwarded;
    this.capacity.sample(this.#o.clock.now());
  }

  load(): MediaHandlerLoad {
    return create(MediaHandlerLoadSchema, {
      streams: this.forwarder.publishedStreams().length,
      bandwidthInBps: BigInt(this.capacity.bandwidthInBps),
      bandwidthOutBps: BigInt(this.capacity.bandwidthOutBps),
      participants: this.#participants.size,
      sessions: this.sessionCount,
      cascades: this.#cascades.size,
    });
  }

  /** Mean sequence-gap loss over the published client streams (0 without any); no messages built. */
  meanIngestLoss(): number {
    let sum = 0;
    let n = 0;
    for (const { info, origin } of this.forwarder.publishedStreams()) {
      if (origin !== 'client') continue;
      const s = this.forwarder.streamStats(info.streamId);
      if (s === undefined) continue;
      sum += s.packetLoss;
      n++;
    }
    return n === 0 ? 0 : sum / n;
  }

  telemetry(meetingId?: string): MediaTelemetry[] {
    const out: MediaTelemetry[] = [];
    const now = BigInt(Date.now());
    for (const { info, origin } of this.forwarder.publishedStreams()) {
      if (origin !== 'client') continue;
      const publisher =
        info.publisherId === undefined
          ? undefined
          : this.#participants.get(asParticipantId(info.publisherId));
      if (meetingId !== undefined && meetingId !== '' && publisher?.meetingId !== meetingId) continue;
      const s = this.forwarder.streamStats(info.streamId);
      if (s === undefined) continue;
      const sent = this.forwarder.sourceCounters(info.streamId);
      out.push(
        create(MediaTelemetrySchema, {
          streamId: info.streamId,
          bytesReceived: BigInt(s.bytesReceived),
          bytesSent: BigInt(sent.bytesForwarded),
          packetLoss: s.packetLoss,
          bitrate: s.bitrate,
          jitterMs: Math.round(s.jitterMs),
          timestamp: now,
          audioLevel: info.media === 'audio' ? s.audioLevel : 127,
          voiceActivity: info.media === 'audio' && s.voiceActivity,
          participantId: info.publisherId ?? '',
          framesReceived: BigInt(s.framesReceived),
          framesForwarded: BigInt(sent.framesForwarded),
          framesDropped: BigInt(sent.framesDropped),
        }),
      );
    }
    return out;
  }

  /** Subscriber quality reports to relay to publishers through the controller (StreamQualityUpdate). */
  quality(meetingId?: string): StreamQualityFeedback[] {
    const out: StreamQualityFeedback[] = [];
    for (const [participantId, conn] of this.#connections) {
      if (meetingId !== undefined && this.#participants.get(participantId)?.meetingId !== meetingId) continue;
      for (const [streamId, q] of conn.quality()) {
        out.push(
          create(StreamQualityFeedbackSchema, {
            subscriberParticipantId: participantId,
            update: {
              streamId,
              availableBitrate: q.availableBitrate,
              packetLoss: q.packetLoss,
              rttMs: q.rttMs,
            },
          }),
        );
      }
    }
    return out;
  }

  stats(meetingId?: string): Omit<GetStatsResponse, '$typeName'> {
    return { load: this.load(), streams: this.telemetry(meetingId) };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    for (const s of this.#pending) s.close({ closeCode: WIRE_CODE.NO_ERROR, reason: 'shutting down' });
    for (const c of this.#connections.values()) c.close(WIRE_CODE.NO_ERROR, 'shutting down');
    for (const c of this.#cascades.values()) c.close(WIRE_CODE.NO_ERROR, 'shutting down');
    this.forwarder.close();
  }
}

function parseId(value: string): StreamId {
  const id = tryParseStreamId(value);
  if (id === undefined)
    throw MediaError.invalidRequest(`not a stream id: ${JSON.stringify(value.slice(0, 64))}`);
  return id as string as StreamId;
}

function toErrorCode(e: MediaError): ErrorCode {
  switch (e.code) {
    case 'UNAUTHORIZED':
      return ErrorCode.UNAUTHORIZED;
    case 'FORBIDDEN':
      return ErrorCode.FORBIDDEN;
    case 'CAPACITY_EXCEEDED':
      return ErrorCode.CAPACITY_EXCEEDED;
    case 'TIMEOUT':
      return ErrorCode.TIMEOUT;
    case 'RATE_LIMITED':
      return ErrorCode.RATE_LIMITED;
    case 'CONFLICT':
      return ErrorCode.CONFLICT;
    case 'NOT_FOUND':
      return ErrorCode.NOT_FOUND;
    case 'INVALID_REQUEST':
    case 'INVALID_STREAM_FORMAT':
      return ErrorCode.INVALID_REQUEST;
    case 'INTERNAL_ERROR':
      return ErrorCode.INTERNAL_ERROR;
    default: {
      const never: never = e.code;
      return never;
    }
  }
}

async function firstBidi(session: Session, signal: AbortSignal): Promise<BidirectionalStream> {
  const reader = session.incomingBidirectionalStreams.getReader();
  try {
    const { done, value } = await raceSignal(reader.read(), signal);
    if (done) throw MediaError.unauthorized('session ended before authenticating');
    return value;
  } finally {
    reader.releaseLock();
  }
}

/** Rejects with the signal's reason when it aborts first; the losing promise is left to settle on its own. */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Runs `fn` in a span whose parent is the remote span of `traceparent` (empty or malformed: a new trace). */
function inRemoteSpan<T>(
  tracing: MediaHandlerCoreOptions['tracing'],
  traceparent: string,
  name: string,
  fn: () => Promise<T>,
): Promise<T> {
  if (tracing === undefined) return fn();
  return tracing.withRemoteParent(traceparent === '' ? undefined : traceparent, () =>
    tracing.startActiveSpan(name, fn),
  );
}
