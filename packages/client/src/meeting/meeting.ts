// A participant in one meeting: token from the Global Controller, signaling to the Meeting Controller, media to the
// assigned handler(s); publishes local streams, subscribes remote audio directly and video through a layout, and
// resumes after a network drop (same participant id within the session TTL). Transport-neutral: the Connector
// decides WebTransport, WebSocket fallback or a race; bots in Node use the same class.
import {
  FrameType,
  LeaveReason,
  parseStreamId,
  fourCCForCodec,
  parseFourCC,
  randomStreamId,
  type JoinResponse,
  type MediaServerInfo,
  type StreamId,
} from '@darktower/protocol';
import type { DarkTowerApi, JoinGrant } from '../api/darktower-api.ts';
import { anySignal, sleep } from '../core/abort.ts';
import { ClientError, isClientError } from '../core/client-error.ts';
import { Emitter } from '../core/emitter.ts';
import { identityTransform, type FrameTransform } from '../media/frame-transform.ts';
import type { LocalMediaStream } from '../media/local-media-stream.ts';
import { MediaConnection, type ReceivedFrame } from '../media/media-connection.ts';
import { ReceiveStats } from '../media/receive-stats.ts';
import { SimulcastPublication, type SimulcastLayerOptions } from '../media/simulcast-publication.ts';
import { SlotLayerPreferences, type SlotSize } from '../media/slot-layers.ts';
import { MeetingE2ee, MLS_EVENTS, type MeetingE2eeOptions } from '../e2ee/meeting-e2ee.ts';
import { SignalingClient } from '../signaling/signaling-client.ts';
import type { ClientTracer } from '../core/tracing.ts';
import { JoinTrace, type JoinMark } from './join-trace.ts';
import { LayoutState } from './layout-state.ts';
import { LocalPublication } from './local-publication.ts';
import { planMediaServers } from './media-servers-update.ts';
import type {
  Connector,
  LayoutSlotView,
  LayoutSpec,
  MediaKind,
  MeetingEvents,
  MeetingState,
  RemoteFrame,
  RemoteParticipant,
} from './meeting-types.ts';
import { participantOf, Roster, streamInfoOf, streamTypeOfKind } from './roster.ts';

export interface MeetingOptions {
  /** The REST API (needed unless `grant` is given). */
  readonly api?: DarkTowerApi;
  readonly connector: Connector;
  /** Meeting id or code. */
  readonly meeting: string;
  readonly displayName: string;
  /** A signed-in user's access token; guests leave it out. */
  readonly userToken?: string | undefined;
  /** A transform on the wire side of every frame (outside SFrame when the meeting has E2EE on). */
  readonly transform?: FrameTransform;
  /** End-to-end encryption (SFrame keyed by MLS) runs whenever the meeting has it on; where and how. */
  readonly e2ee?: MeetingE2eeOptions;
  /** What this client can decode (default VP8 + Opus). */
  readonly capabilities?: { videoCodecs: string[]; audioCodecs: string[]; simulcast?: boolean };
  /** Resume attempts after a drop (default 5, 1 s apart). 0 turns resume off. */
  readonly reconnectAttempts?: number;
  readonly reconnectDelayMs?: number;
  /**
   * Where join tokens come from (default: the Global Controller via `api.joinMeeting`). Bots and tests with tokens
   * from elsewhere (e.g. `darktower token`) supply their own; it is called again for every resume.
   */
  readonly grant?: (signal: AbortSignal) => Promise<JoinGrant>;
  /** Subscribe to every remote audio stream (default true). */
  readonly autoSubscribeAudio?: boolean;
  /**
   * Spans of the join (join_meeting, http_get_meeting_info, webtransport_connect, media_connection_establish,
   * first_frame_received), their traceparent sent to the services so one join is one trace. Default: none.
   */
  readonly tracer?: ClientTracer;
  /**
   * The layout to ask for as part of the join, given who is already in the meeting: sent right after the
   * JoinResponse, side by side with opening the media connection (the handler starts the slots' routes when that
   * connection arrives), instead of after the join resolved: the others' video starts a round trip earlier. The
   * slots are in `layoutSlots` when `join` resolves. Not used on resume (the controller restores the layout).
   */
  readonly layout?: (
    participants: readonly RemoteParticipant[],
  ) => { readonly spec: LayoutSpec; readonly pinned?: string[] } | undefined;
  /** Where warnings about bad input from the services go (default: console); they are also `warning` events. */
  readonly log?: { warn(message: string, details?: object): void };
}

export interface PublishOptions {
  readonly kind: MediaKind;
  /** Codec name ("VP8", "VP9", "AV1", "H264", "Opus") or WebCodecs codec string. */
  readonly codec: string;
  readonly width?: number;
  readonly height?: number;
  readonly framerate?: number;
  readonly maxBitrate?: number;
}

interface Link {
  readonly signaling: SignalingClient;
  /** Its media connections, the primary's first; MediaServersUpdate adds and removes some. */
  readonly media: MediaConnection[];
  readonly response: JoinResponse;
}

/** Resumes are not traced as joins. */
const NO_TRACE = new JoinTrace(undefined, '');
/** How long, and how many, remote frames are kept for a renderer that subscribes after the join (takeEarlyFrames). */
const EARLY_FRAMES_MS = 10_000;
const MAX_EARLY_FRAMES = 256;
NO_TRACE.end();

export class Meeting implements AsyncDisposable {
  readonly events = new Emitter<MeetingEvents>((error) => {
    queueMicrotask(() => {
      throw error;
    });
  });
  readonly roster = new Roster();
  /** Whether media is end-to-end encrypted, the MLS epoch and verification code, dropped-frame counts. */
  readonly e2ee: MeetingE2ee;
  readonly #options: MeetingOptions;
  readonly #transform: FrameTransform;
  readonly #layout = new LayoutState();
  readonly #publications = new Map<string, LocalPublication>();
  /** How each publication was announced (announced again after a fresh join). */
  readonly #publishOptions = new Map<string, PublishOptions>();
  readonly #audioSubscriptions = new Set<string>();
  readonly #receiveStats = new Map<string, ReceiveStats>();
  /** Per link: the handler the controller last named for our streams (absent: the primary). */
  readonly #publishVia = new WeakMap<Link, string>();
  /** Per link: MediaServersUpdates are applied one after the other. */
  readonly #serverUpdates = new WeakMap<Link, Promise<void>>();
  readonly #bitrateHints = new Map<string, { atMs: number; bps: number }[]>();
  #qualityTimer: ReturnType<typeof setInterval> | undefined;
  #slotLayers: SlotLayerPreferences | undefined;
  /** Slots that have had a key frame, and sizes given for slots still waiting for their first one. */
  readonly #slotsStarted = new Set<string>();
  readonly #pendingSlotSizes = new Map<string, SlotSize>();
  readonly #abort = new AbortController();
  #state: MeetingState = { state: 'idle' };
  #trace: JoinTrace = NO_TRACE;
  #link: Link | undefined;
  #meetingId = '';
  #resumeToken = '';
  #closing: Promise<void> | undefined;
  #resolveClosed!: () => void;
  /**
   * Remote frames that came while nobody listened to `remoteFrame` (the app builds its renderer once the join has
   * resolved; a key frame lost then left the picture waiting for the next one), for `takeEarlyFrames()`. Kept for
   * EARLY_FRAMES_MS after the meeting was created, the newest MAX_EARLY_FRAMES; undefined once taken or expired.
   */
  #earlyFrames: RemoteFrame[] | undefined = [];
  readonly #createdAt = Date.now();
  readonly closed: Promise<void>;

  private constructor(options: MeetingOptions) {
    this.#options = options;
    this.e2ee = new MeetingE2ee(
      options.e2ee ?? {},
      options.transform ?? identityTransform,
      (id) => {
        void this.requestKeyframe(id);
      },
      (name) => {
        this.#trace.mark(name);
      },
    );
    this.#transform = this.e2ee.transform;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    // A new MLS epoch (someone joined or left): whoever just joined decrypts only what is encrypted from now on, and
    // the key frame its subscriptions asked for may have gone out under the old epoch (undecryptable for it: its
    // picture waited for the next periodic key frame). So every video stream's next frame is a key frame.
    let epoch: bigint | undefined;
    this.e2ee.events.on('stateChanged', (s) => {
      if (s.state !== 'active' || s.epoch === epoch) return;
      if (epoch === undefined) this.#trace.mark('e2ee:active'); // in the MLS group: media decrypts from here
      epoch = s.epoch;
      for (const p of this.#publications.values()) if (p.kind !== 'audio') p.events.emit('keyframeRequested');
    });
  }

  /** Joins; rejects with a ClientError (UNAUTHORIZED, NOT_FOUND, CAPACITY_EXCEEDED, UNAVAILABLE, ...). */
  static async join(options: MeetingOptions, signal?: AbortSignal): Promise<Meeting> {
    const meeting = new Meeting(options);
    meeting.#trace = new JoinTrace(options.tracer, options.meeting);
    meeting.#setState({ state: 'joining' });
    try {
      const link = await meeting.#connect(undefined, anySignal(signal, meeting.#abort.signal));
      meeting.#adopt(link);
      meeting.#trace.joined(meeting.participantId);
      return meeting;
    } catch (error) {
      meeting.#trace.end(error);
      meeting.#setState({ state: 'left', reason: 'refused', error });
      await meeting.close();
      throw error;
    }
  }

  get state(): MeetingState {
    return this.#state;
  }

  get participantId(): string {
    return this.#link?.response.participantId ?? '';
  }

  get meetingId(): string {
    return this.#meetingId;
  }

  get isHost(): boolean {
    return this.#link?.response.isHost ?? false;
  }

  get meetingName(): string {
    return this.#link?.response.meeting?.displayName ?? '';
  }

  /**
   * Where this meeting's join spent its time: `join:start`, each step's `<step>:start` / `<step>:end`
   * (http_get_meeting_info, webtransport_connect, signaling_join, e2ee_start, media_connection_establish),
   * `joined`, `first_remote_frame`, and whatever the app added with `markJoin`. `at` is performance.now() (ms).
   */
  get joinMarks(): readonly JoinMark[] {
    return this.#trace.marks;
  }

  /** Adds an app-side point to `joinMarks` (e.g. camera published, layout asked for). */
  markJoin(name: string): void {
    this.#trace.mark(name);
  }

  get participants(): RemoteParticipant[] {
    return this.roster.all;
  }

  get layoutSlots(): LayoutSlotView[] {
    return this.#layout.slots;
  }

  /** Which transport carries signaling ('webtransport' | 'websocket' | 'memory'). */
  get transport(): string {
    return this.#link?.signaling.protocol ?? '';
  }

  get signalingRttMs(): number {
    return this.#link?.signaling.rttMs ?? 0;
  }

  /** Starts publishing a stream; send encoded frames on the returned publication. */
  async publish(options: PublishOptions, signal?: AbortSignal): Promise<LocalPublication> {
    const fourcc = fourCCForCodec(options.codec) ?? parseFourCC(options.codec);
    const streamId = randomStreamId();
    const publication = new LocalPublication(streamId, options.kind, fourcc, (p) => this.#unpublish(p));
    publication.events.on('failed', (error) => {
      this.events.emit('publicationFailed', streamId, error);
    });
    const link = await this.#onLink(signal, async (l) => {
      await this.#announce(l, publication, options, signal);
      return l;
    });
    this.#publications.set(streamId, publication);
    this.#publishOptions.set(streamId, options);
    await this.#attachMedia(link, publication);
    return publication;
  }

  /**
   * Publishes a simulcast video: one stream id that subscribers see (the handler forwards each of them the layer
   * that fits), and a publication per layer (`layers` low to high), each sent as a media stream of its own.
   */
  async publishSimulcast(
    options: PublishOptions & { readonly layers: readonly SimulcastLayerOptions[] },
    signal?: AbortSignal,
  ): Promise<SimulcastPublication> {
    const fourcc = fourCCForCodec(options.codec) ?? parseFourCC(options.codec);
    const group = new LocalPublication(randomStreamId(), options.kind, fourcc, (p) => this.#unpublish(p));
    const layers = options.layers.map((spec) => {
      const publication = new LocalPublication(randomStreamId(), options.kind, fourcc, (p) => {
        this.#publications.delete(p.streamId);
        return Promise.resolve();
      });
      publication.events.on('failed', (error) => {
        this.events.emit('publicationFailed', group.streamId, error);
      });
      return { ...spec, publication };
    });
    const announced = layers.map(({ publication, ...l }) => ({ ...l, streamId: publication.streamId }));
    const link = await this.#onLink(signal, async (l) => {
      await this.#announce(l, group, options, signal, announced);
      return l;
    });
    for (const l of layers) {
      this.#publications.set(l.publication.streamId, l.publication);
      await this.#attachMedia(link, l.publication);
    }
    return new SimulcastPublication(group, layers);
  }

  /** Asks for a layout; the controller answers with slots (layoutChanged) and media arrives per slot. */
  async setLayout(
    spec: LayoutSpec,
    options: { pinned?: string[] } = {},
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#joinedLink(signal);
    this.#layout.prepare(spec, () => randomStreamId());
    this.#layout.pinned = options.pinned ?? this.#layout.pinned;
    await this.#onLink(signal, (link) => this.#sendLayout(link, signal));
  }

  async setMuted(state: { audio: boolean; video: boolean }, signal?: AbortSignal): Promise<void> {
    await this.#onLink(signal, (link) =>
      link.signaling.request(
        { case: 'muteState', value: { audioMuted: state.audio, videoMuted: state.video } },
        signal,
      ),
    );
  }

  /** Asks the publisher of a stream we receive for a key frame (through the handler that delivers it). */
  async requestKeyframe(forwardedStreamId: string): Promise<void> {
    const link = this.#link;
    if (link === undefined) return;
    await Promise.allSettled(link.media.map((m) => m.requestKeyframe(forwardedStreamId)));
  }

  /**
   * The highest simulcast layer worth receiving under `forwardedStreamId` (a slot id): what the slot's size calls
   * for. The handler keeps it for the slot whichever source fills it; a layer id the source lacks lifts the cap.
   */
  async preferLayer(forwardedStreamId: string, layerId: string): Promise<void> {
    const link = this.#link;
    if (link === undefined) return;
    await Promise.allSettled(
      link.media.map((m) => m.feedback(forwardedStreamId, { bandwidthBps: 0, preferredLayerId: layerId })),
    );
  }

  /**
   * The on-screen size (CSS pixels) of the tile showing layout slot `slotStreamId`: the slot then asks its handler
   * for the smallest simulcast layer that covers that size at the device's pixel ratio (and again when the size or
   * the slot's source changes), instead of every tile getting the same layer. Call it whenever the tile is resized
   * (e.g. from a ResizeObserver); cheap when nothing changed. A slot that has not had its first key frame yet keeps
   * the size until then: its first picture comes in whatever layer the handler started it on, rather than the
   * handler switching layers before it and the picture waiting for a second key frame.
   */
  setSlotSize(slotStreamId: string, size: SlotSize): void {
    if (this.#closing !== undefined) return;
    if (!this.#slotsStarted.has(slotStreamId)) {
      this.#pendingSlotSizes.set(slotStreamId, size);
      if (this.#pendingSlotSizes.size > 256)
        this.#pendingSlotSizes.delete(this.#pendingSlotSizes.keys().next().value ?? '');
      return;
    }
    this.#slotLayers ??= new SlotLayerPreferences(this, {
      pixelRatio: () => (globalThis as { devicePixelRatio?: number }).devicePixelRatio ?? 1,
    });
    this.#slotLayers.setSlotSize(slotStreamId, size);
  }

  /** The simulcast layer each slot asked for after setSlotSize (slot stream id -> layer id). */
  get layerPreferences(): ReadonlyMap<string, string> {
    return this.#slotLayers?.preferences ?? new Map<string, string>();
  }

  /**
   * Tells the publisher of a stream we receive (through the controller) and the delivering handler how it arrives.
   * Sent automatically every 2 s for every stream with frames; callable directly by bots and tests.
   */
  async reportQuality(
    forwardedStreamId: string,
    q: { availableBitrateBps: number; packetLoss: number; rttMs?: number },
  ): Promise<void> {
    const link = this.#requireLink();
    const rttMs = Math.round(q.rttMs ?? link.signaling.rttMs);
    await link.signaling.send({
      case: 'qualityUpdate',
      value: {
        streamId: forwardedStreamId,
        availableBitrate: Math.max(0, Math.min(0xffffffff, Math.round(q.availableBitrateBps))),
        packetLoss: q.packetLoss,
        rttMs,
      },
    });
    await Promise.allSettled(
      link.media.map((m) =>
        m.feedback(forwardedStreamId, {
          bandwidthBps: q.availableBitrateBps,
          packetLoss: q.packetLoss,
          rttMs,
        }),
      ),
    );
  }

  /** Host only: ends the meeting for everyone. */
  async endMeeting(reason = 'ended by host', signal?: AbortSignal): Promise<void> {
    await this.#onLink(signal, (link) =>
      link.signaling.request({ case: 'endMeeting', value: { reason } }, signal),
    );
  }

  /** Leaves the meeting (LeaveMeeting, then closes everything). */
  async leave(): Promise<void> {
    const link = this.#link;
    if (link !== undefined && this.#state.state === 'joined') {
      await link.signaling
        .request({ case: 'leave', value: {} }, AbortSignal.timeout(2_000))
        .catch(() => undefined);
    }
    if (this.#state.state !== 'left') this.#setState({ state: 'left', reason: 'left' });
    await this.close();
  }

  /** Closes everything without a goodbye (the controller sees a drop). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#abort.abort(ClientError.closed('meeting'));
      this.#trace.end();
      clearInterval(this.#qualityTimer);
      this.#slotLayers?.close();
      for (const p of [...this.#publications.values()]) p.attach(undefined);
      this.#publications.clear();
      const link = this.#link;
      this.#link = undefined;
      if (link !== undefined) await this.#closeLink(link);
      await this.e2ee.close();
      if (this.#state.state !== 'left') this.#setState({ state: 'left', reason: 'left' });
      this.roster.clear();
      this.#resolveClosed();
      this.events.removeAll();
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.leave();
  }

  // ---- connection ---------------------------------------------------------------------------------------

  async #connect(resume: { participantId: string } | undefined, signal: AbortSignal): Promise<Link> {
    const o = this.#options;
    const api = o.api;
    const trace = resume === undefined ? this.#trace : new JoinTrace(undefined, '');
    const getGrant = o.grant;
    let grant: JoinGrant;
    if (getGrant !== undefined) grant = await trace.step('http_get_meeting_info', () => getGrant(signal));
    else if (api !== undefined)
      grant = await trace.step('http_get_meeting_info', (traceparent) =>
        api.joinMeeting(
          o.meeting,
          { displayName: o.displayName, userToken: o.userToken, traceparent },
          signal,
        ),
      );
    else throw ClientError.invalidState('Meeting needs `api` or `grant`');
    this.#meetingId = grant.meetingId;
    const session = await trace.step('webtransport_connect', () =>
      o.connector(
        { url: grant.meetingControllerUrl, serverCertificateHashes: [], purpose: 'signaling' },
        signal,
      ),
    );
    // Held until #adopt has wired the listeners: nothing the controller says after the JoinResponse is lost.
    // The MLS messages are not held: MeetingE2ee listens from before the join.
    const signaling = await SignalingClient.open(session, { signal, holdEvents: true, unheld: MLS_EVENTS });
    this.e2ee.attach(signaling, resume === undefined); // before joining: MLS messages follow the JoinResponse at once
    let response: JoinResponse;
    try {
      trace.mark('signaling_join:start');
      response = await signaling.join(
        resume === undefined
          ? {
              case: 'join',
              value: {
                meetingId: grant.meetingId,
                joinToken: grant.joinToken,
                participantName: o.displayName,
                protocolVersion: 1,
                capabilities: {
                  videoCodecs: o.capabilities?.videoCodecs ?? ['VP8'],
                  audioCodecs: o.capabilities?.audioCodecs ?? ['Opus'],
                  supportsSimulcast: o.capabilities?.simulcast ?? false,
                  maxVideoStreams: 16,
                },
              },
            }
          : {
              case: 'resume',
              value: {
                meetingId: grant.meetingId,
                participantId: resume.participantId,
                resumeToken: this.#resumeToken,
                joinToken: grant.joinToken,
                protocolVersion: 1,
              },
            },
        signal,
        trace.traceparent,
      );
      trace.mark('signaling_join:end');
      if (resume === undefined) {
        await this.e2ee.start(response);
        trace.mark('e2ee_start:end');
      }
    } catch (error) {
      await signaling.close();
      throw error;
    }
    const servers =
      response.mediaServers.length > 0
        ? response.mediaServers
        : response.mediaServer === undefined
          ? []
          : [response.mediaServer];
    const layout = resume === undefined ? this.#initialLayout(response, signaling, trace, signal) : undefined;
    const media: MediaConnection[] = [];
    try {
      const results = await Promise.allSettled(
        servers.map((s) =>
          trace.step('media_connection_establish', (tp) => this.#openMediaConnection(s, signal, tp)),
        ),
      );
      await layout;
      for (const r of results) if (r.status === 'fulfilled') media.push(r.value);
      if (media.length === 0) {
        const first = results.find((r) => r.status === 'rejected');
        throw first?.reason ?? new ClientError('UNAVAILABLE', 'no media handler');
      }
    } catch (error) {
      for (const m of media) await m.close();
      await signaling.close();
      throw error;
    }
    return { signaling, media, response };
  }

  async #openMediaConnection(
    server: MediaServerInfo,
    signal: AbortSignal,
    traceparent?: string,
  ): Promise<MediaConnection> {
    const session = await this.#options.connector(
      {
        url: server.mediaHandlerUrl,
        serverCertificateHashes: server.serverCertificateHashes,
        purpose: 'media',
      },
      signal,
    );
    return MediaConnection.open(session, server.connectionToken, {
      signal,
      transform: this.#transform,
      handlerId: server.handlerId,
      traceparent,
      // Until #wireMedia: the first key frames of the join's subscriptions arrive while it still waits for the
      // layout and the other connections.
      holdFrames: true,
    });
  }

  /** Makes a fresh link current: listeners, state, roster (as the JoinResponse describes it). */
  #adopt(link: Link): void {
    this.#link = link;
    const r = link.response;
    this.#resumeToken = r.resumeToken;
    this.#wire(link);
    clearInterval(this.#qualityTimer);
    this.#qualityTimer = setInterval(() => {
      this.#reportAll();
    }, 2_000);
    this.#setState({
      state: 'joined',
      participantId: r.participantId,
      transport: link.signaling.protocol,
      isHost: r.isHost,
    });
    this.#syncRoster(r);
    for (const p of this.roster.all)
      for (const s of p.streams) if (s.kind === 'audio') void this.#subscribeAudio(s.streamId);
    // Messages sent after the JoinResponse now reach the listeners above, in order.
    link.signaling.releaseEvents();
    if (link.signaling.state.state === 'disconnected' && this.#link === link && this.#closing === undefined)
      void this.#onDrop(link, link.signaling.state.error);
  }

  /**
   * The roster becomes what the JoinResponse lists: after a resume, whoever left or came meanwhile is announced
   * (participantLeft / participantJoined / participantUpdated), so the roster never keeps a ghost or misses a peer.
   */
  #syncRoster(r: JoinResponse): void {
    const listed = new Map(
      r.existingParticipants
        .filter((p) => p.participantId !== r.participantId)
        .map((p) => [p.participantId, participantOf(p)]),
    );
    for (const p of this.roster.all) {
      if (listed.has(p.participantId)) continue;
      this.roster.delete(p.participantId);
      for (const s of p.streams) this.#audioSubscriptions.delete(s.streamId);
      this.events.emit('participantLeft', p, LeaveReason.CONNECTION_LOST);
    }
    for (const p of listed.values()) {
      const known = this.roster.get(p.participantId);
      this.roster.set(p);
      if (known === undefined) this.events.emit('participantJoined', p);
      else if (JSON.stringify(known) !== JSON.stringify(p)) this.events.emit('participantUpdated', p);
    }
  }

  #wire(link: Link): void {
    const ev = link.signaling.events;
    ev.on('participantJoined', (m) => {
      if (m.participant === undefined || m.participant.participantId === this.participantId) return;
      const p = participantOf(m.participant);
      this.roster.set(p);
      this.events.emit('participantJoined', p);
      for (const s of p.streams) if (s.kind === 'audio') void this.#subscribeAudio(s.streamId);
    });
    ev.on('participantLeft', (m) => {
      const p = this.roster.delete(m.participantId);
      if (p === undefined) return;
      for (const s of p.streams) this.#audioSubscriptions.delete(s.streamId);
      this.events.emit('participantLeft', p, m.reason);
    });
    ev.on('streamPublished', (m) => {
      const stream = m.stream;
      if (m.participantId === this.participantId) {
        // Our own stream announced with a handler: where the controller wants it now (it moves after a failover).
        const handlerId = m.handlerIds[0];
        if (handlerId !== undefined) void this.#followPublishHandler(link, handlerId);
        return;
      }
      if (stream === undefined) return;
      const p = this.roster.get(m.participantId);
      if (p === undefined) return;
      const info = streamInfoOf(stream);
      const updated = { ...p, streams: [...p.streams.filter((s) => s.streamId !== info.streamId), info] };
      this.roster.set(updated);
      this.events.emit('participantUpdated', updated);
      if (info.kind === 'audio') void this.#subscribeAudio(info.streamId);
    });
    ev.on('streamUnpublished', (m) => {
      const p = this.roster.get(m.participantId);
      this.#audioSubscriptions.delete(m.streamId);
      if (p === undefined) return;
      const updated = { ...p, streams: p.streams.filter((s) => s.streamId !== m.streamId) };
      this.roster.set(updated);
      this.events.emit('participantUpdated', updated);
      this.events.emit('remoteStreamEnded', m.streamId);
    });
    ev.on('muteState', (m) => {
      const p = this.roster.get(m.participantId);
      if (p === undefined) return;
      const updated: RemoteParticipant = {
        ...p,
        audioMuted: m.audioMuted,
        videoMuted: m.videoMuted,
        streams: p.streams.map((s) => ({ ...s, muted: s.kind === 'audio' ? m.audioMuted : m.videoMuted })),
      };
      this.roster.set(updated);
      this.events.emit('participantUpdated', updated);
    });
    ev.on('layoutUpdate', (u) => {
      if (!this.#layout.apply(u)) {
        void this.#sendLayout(link).catch((error: unknown) => {
          this.events.emit('error', error);
        });
        return;
      }
      this.events.emit('layoutChanged', this.#layout.slots);
    });
    ev.on('activeSpeaker', (u) => {
      this.events.emit('activeSpeakers', u.participantIds);
    });
    ev.on('qualityUpdate', (u) => {
      this.events.emit('qualityUpdate', u);
      if (u.availableBitrate > 0) this.#hint(u.streamId, u.availableBitrate);
    });
    ev.on('meetingEnded', (m) => {
      this.events.emit('meetingEnded', m.reason);
      this.#setState({ state: 'left', reason: 'meeting-ended' });
      void this.close();
    });
    ev.on('stateChanged', (s) => {
      if (s.state !== 'disconnected' || this.#link !== link || this.#closing !== undefined) return;
      if (this.#state.state === 'left') return;
      void this.#onDrop(link, s.error);
    });
    ev.on('mediaServersUpdate', (u) => {
      const previous = this.#serverUpdates.get(link) ?? Promise.resolve();
      this.#serverUpdates.set(
        link,
        previous
          .then(() => this.#applyMediaServers(link, u.mediaServers))
          .catch((error: unknown) => {
            this.#warn('could not apply a MediaServersUpdate', { error });
          }),
      );
    });
    for (const m of link.media) this.#wireMedia(link, m);
  }

  #wireMedia(link: Link, m: MediaConnection): void {
    m.events.on('stateChanged', (s) => {
      if (s.state === 'closed') void this.#mediaLost(link, m);
    });
    m.events.on('frame', (f) => void this.#onFrame(f));
    m.events.on('keyframeRequested', (id) => {
      this.#publications.get(id)?.events.emit('keyframeRequested');
      this.events.emit('keyframeRequested', id);
    });
    m.events.on('streamWithdrawn', (id) => {
      this.events.emit('remoteStreamEnded', id);
    });
    m.events.on('error', (e) => {
      this.events.emit('error', e);
    });
    m.releaseFrames();
  }

  async #onFrame(f: ReceivedFrame): Promise<void> {
    this.#trace.frameReceived();
    const id = f.streamId as string;
    const slot = this.#layout.bySlotStreamId(id);
    let participantId: string | undefined;
    let sourceStreamId: string | undefined;
    let kind: MediaKind | undefined;
    if (slot !== undefined) {
      // Audio reaches us through direct subscriptions; an audio-only tile's slot would play it twice.
      if (slot.kind === 'audio') return;
      ({ participantId, sourceStreamId, kind } = slot);
      if (!this.#slotsStarted.has(id) && f.header.frameType === FrameType.VideoKey) {
        this.#slotsStarted.add(id);
        if (this.#slotsStarted.size > 1024)
          this.#slotsStarted.delete(this.#slotsStarted.values().next().value ?? '');
        const size = this.#pendingSlotSizes.get(id);
        this.#pendingSlotSizes.delete(id);
        if (size !== undefined) this.setSlotSize(id, size);
      }
    } else if (this.#audioSubscriptions.has(id)) {
      const found = this.roster.findStream(id);
      participantId = found?.participant.participantId;
      sourceStreamId = id;
      kind = 'audio';
    } else {
      return; // not (or no longer) ours to show
    }
    if (participantId === undefined) return;
    let stats = this.#receiveStats.get(id);
    if (stats === undefined) this.#receiveStats.set(id, (stats = new ReceiveStats()));
    stats.record(f.header.sequence, f.payload.length, Date.now());
    const owner = this.roster.findStream(sourceStreamId);
    const codec = owner?.stream.codec ?? '';
    const payload = await this.#transform.decrypt(f.payload, {
      streamId: f.streamId,
      participantId,
      frameType: f.header.frameType,
      timestampUs: f.header.timestamp,
    });
    if (payload === undefined) return;
    const frame: RemoteFrame = {
      participantId,
      sourceStreamId,
      forwardedStreamId: id,
      kind,
      codec,
      header: f.header,
      payload,
      receivedAtUs: f.receivedAtUs,
    };
    const early = this.#earlyFrames;
    if (early !== undefined && Date.now() - this.#createdAt > EARLY_FRAMES_MS) this.#earlyFrames = undefined;
    else if (early !== undefined && this.events.listenerCount('remoteFrame') === 0) {
      early.push(frame);
      if (early.length > MAX_EARLY_FRAMES) early.shift();
      return;
    }
    this.events.emit('remoteFrame', frame);
  }

  /**
   * The remote frames that arrived before anyone listened to `remoteFrame` (within the first seconds of the join),
   * oldest first: a renderer subscribes, then takes these, and misses no stream's first key frame. Once only.
   */
  takeEarlyFrames(): RemoteFrame[] {
    const early = this.#earlyFrames ?? [];
    this.#earlyFrames = undefined;
    return early;
  }

  /**
   * webtransport-flow.md "Connection Loss Handling": a new join token (the Global Controller names the controller
   * that has the meeting now, which is another one when ours died), a new connection, ResumeSession with the same
   * participant id. A refused resume (SESSION_EXPIRED, UNAUTHORIZED) falls back to a fresh join under a new id
   * (`resumeRefused`, then `rejoined`); an ended or unknown meeting, a refused fresh join or running out of
   * attempts ends in `left` with the cause. Never stays in `reconnecting`.
   */
  async #onDrop(link: Link, cause: unknown): Promise<void> {
    const attempts = this.#options.reconnectAttempts ?? 5;
    const participantId = link.response.participantId;
    this.#link = undefined;
    for (const p of this.#publications.values()) p.attach(undefined);
    await this.#closeLink(link);
    let resume: { participantId: string } | undefined = { participantId };
    let lastError: unknown = cause;
    for (let attempt = 1; attempt <= attempts && this.#closing === undefined; attempt++) {
      this.#setState({ state: 'reconnecting', participantId, attempt });
      let next: Link;
      try {
        await sleep(this.#options.reconnectDelayMs ?? 1_000, this.#abort.signal);
        next = await this.#connect(resume, this.#abort.signal);
      } catch (error) {
        if (this.#abort.signal.aborted || isClientError(error, 'ABORTED')) return;
        lastError = error;
        this.events.emit('reconnectFailed', attempt, error);
        if (
          resume !== undefined &&
          (isClientError(error, 'SESSION_EXPIRED') || isClientError(error, 'UNAUTHORIZED'))
        ) {
          this.events.emit('resumeRefused', error);
          resume = undefined;
          continue;
        }
        if (endsMeeting(error)) {
          this.#setState({ state: 'left', reason: 'meeting-ended', error });
          await this.close();
          return;
        }
        if (resume === undefined && refusesJoin(error)) break;
        continue;
      }
      await this.#restore(next, resume === undefined ? participantId : undefined);
      return;
    }
    if (this.#closing !== undefined) return;
    this.#setState({ state: 'left', reason: 'connection-lost', error: lastError });
    await this.close();
  }

  /** A new link after a drop: resumed (same participant), or joined afresh (`rejoinedFrom`: the old id). */
  async #restore(next: Link, rejoinedFrom: string | undefined): Promise<void> {
    this.#layout.reset();
    if (rejoinedFrom !== undefined) {
      // A new participant: the controller has none of the old one's subscriptions or streams.
      this.#audioSubscriptions.clear();
      this.#receiveStats.clear();
    }
    this.#adopt(next);
    if (rejoinedFrom !== undefined) this.events.emit('rejoined', rejoinedFrom, next.response.participantId);
    // One stream refused (say, its id still held by the old participant) does not keep the others or the layout
    // from coming back. A drop of the new link is handled by its own listener; anything else is reported.
    for (const p of [...this.#publications.values()]) {
      if (this.#link !== next) return;
      try {
        const options = this.#publishOptions.get(p.streamId);
        if (rejoinedFrom !== undefined && options !== undefined) await this.#announce(next, p, options);
        // A MediaServersUpdate on the new link may have moved it there already.
        if (this.#publishTarget(next)?.isPublishing(p.streamId) === true) continue;
        p.attach(await this.#openMedia(next, p));
      } catch (error) {
        if (this.#link === next && !isClientError(error, 'CLOSED'))
          this.events.emit('publicationFailed', p.streamId, error);
      }
    }
    try {
      if (this.#layout.spec !== undefined && this.#link === next) await this.#sendLayout(next);
    } catch (error) {
      if (this.#link === next && !isClientError(error, 'CLOSED')) this.events.emit('error', error);
    }
  }

  async #closeLink(link: Link): Promise<void> {
    await Promise.allSettled([...link.media.map((m) => m.close()), link.signaling.close()]);
  }

  // ---- publishing ---------------------------------------------------------------------------------------

  async #announce(
    link: Link,
    p: LocalPublication,
    o: PublishOptions,
    signal?: AbortSignal,
    layers: readonly (SimulcastLayerOptions & { readonly streamId: string })[] = [],
  ): Promise<void> {
    const video = o.kind !== 'audio';
    await link.signaling.request(
      {
        case: 'publish',
        value: {
          streamId: p.streamId,
          streamType: streamTypeOfKind(o.kind),
          metadata: {
            codec: codecName(p.codec),
            maxBitrate: o.maxBitrate ?? 0,
            ...(video
              ? {
                  video: {
                    width: o.width ?? 0,
                    height: o.height ?? 0,
                    framerate: o.framerate ?? 0,
                    simulcastLayers: layers.map((l) => ({ ...l })),
                  },
                }
              : {}),
          },
        },
      },
      signal,
    );
  }

  async #openMedia(link: Link, p: LocalPublication): Promise<LocalMediaStream> {
    const media = this.#publishTarget(link);
    if (media === undefined) throw new ClientError('UNAVAILABLE', 'no media connection');
    return media.publish({ streamId: p.streamId, streamType: streamTypeOfKind(p.kind), codec: p.codec });
  }

  // ---- media handler failover -----------------------------------------------------------------------------
  // architecture.md "Media Handler Failure": the client is already connected to a standby handler. When the
  // controller moves our streams (StreamPublished for our own stream naming another handler), or the connection
  // carrying them dies, the streams open on the other connection first and only then close on the old one
  // (make-before-break), and video asks the encoder for a key frame so subscribers can decode at once. Receiving
  // needs nothing: frames are taken from every connection, and the controller routes them via the live handler.

  /** The connection our streams go to: the handler the controller named last, else the primary; live ones only. */
  #publishTarget(link: Link): MediaConnection | undefined {
    const live = link.media.filter((m) => m.state.state === 'ready');
    const wanted = this.#publishVia.get(link) ?? link.media[0]?.handlerId;
    return live.find((m) => m.handlerId === wanted) ?? live[0];
  }

  /** The media handlers this client is connected to, the one carrying its streams first. */
  get mediaHandlerIds(): string[] {
    const link = this.#link;
    if (link === undefined) return [];
    const first = this.#publishTarget(link);
    const rest = link.media.filter((m) => m !== first && m.state.state === 'ready');
    return [...(first === undefined ? [] : [first]), ...rest].map((m) => m.handlerId);
  }

  async #followPublishHandler(link: Link, handlerId: string): Promise<void> {
    const current = this.#publishTarget(link);
    if (current?.handlerId === handlerId) return;
    const target = link.media.find((m) => m.handlerId === handlerId && m.state.state === 'ready');
    if (target === undefined) return; // not connected there: the controller's next plan or a resume fixes it
    this.#publishVia.set(link, handlerId);
    await this.#movePublications(link, target);
    // The controller moved us off that handler because it failed: the break of make-before-break.
    if (current !== undefined && this.#link === link) await current.close();
  }

  async #mediaLost(link: Link, lost: MediaConnection): Promise<void> {
    if (this.#link !== link || this.#closing !== undefined) return;
    const wanted = this.#publishVia.get(link) ?? link.media[0]?.handlerId;
    if (lost.handlerId !== wanted) return;
    const target = link.media.find((m) => m !== lost && m.state.state === 'ready');
    if (target === undefined) return; // no standby: the signaling drop (or the controller) decides what follows
    this.#publishVia.set(link, target.handlerId);
    await this.#movePublications(link, target);
  }

  async #movePublications(link: Link, target: MediaConnection): Promise<void> {
    for (const p of [...this.#publications.values()]) {
      if (this.#link !== link || p.isClosed || target.isPublishing(p.streamId)) continue;
      const old = link.media.find((m) => m !== target && m.isPublishing(p.streamId));
      try {
        p.attach(
          await target.publish({
            streamId: p.streamId,
            streamType: streamTypeOfKind(p.kind),
            codec: p.codec,
          }),
        );
      } catch (error) {
        if (!isClientError(error, 'CLOSED')) this.events.emit('error', error);
        continue;
      }
      if (p.kind !== 'audio') p.events.emit('keyframeRequested');
      // The break, not awaited: on a handler that died its FIN waits behind writes that can no longer go out (until
      // that connection is closed), and the next stream's make must not wait for it.
      void old?.unpublish(p.streamId);
    }
  }

  /**
   * MediaServersUpdate: the controller restored our redundancy (a new standby) or gave us a fresh primary after all
   * our handlers died. Connects to the handlers newly listed (make), moves our streams to the primary, then closes
   * the connections to handlers no longer listed (break). A bad list is ignored with a warning; a handler we cannot
   * reach is skipped (the controller lists it again, or a resume sorts it out). Never throws.
   */
  async #applyMediaServers(link: Link, servers: readonly MediaServerInfo[]): Promise<void> {
    if (this.#link !== link || this.#closing !== undefined) return;
    const ready = new Set(link.media.filter((m) => m.state.state === 'ready').map((m) => m.handlerId));
    const plan = planMediaServers(servers, ready);
    if (!plan.ok) {
      this.#warn('ignored a MediaServersUpdate', { reason: plan.reason });
      return;
    }
    for (const handlerId of plan.skipped)
      this.#warn('no connection token for a listed media handler', { handlerId });
    const opened = await Promise.allSettled(
      plan.connect.map((s) => this.#openMediaConnection(s, this.#abort.signal)),
    );
    const added: MediaConnection[] = [];
    opened.forEach((r, i) => {
      if (r.status === 'fulfilled') added.push(r.value);
      else
        this.#warn('could not connect to a media handler', {
          handlerId: plan.connect[i]?.handlerId,
          error: r.reason,
        });
    });
    if (this.#link !== link) {
      await Promise.allSettled(added.map((m) => m.close()));
      return;
    }
    for (const m of added) {
      const stale = link.media.findIndex((old) => old.handlerId === m.handlerId);
      if (stale >= 0) void link.media.splice(stale, 1)[0]?.close();
      link.media.push(m);
      this.#wireMedia(link, m);
    }
    // The controller's order: the primary first (the fallback target of #publishTarget).
    const rank = (m: MediaConnection): number => {
      const i = plan.order.indexOf(m.handlerId);
      return i < 0 ? plan.order.length : i;
    };
    link.media.sort((a, b) => rank(a) - rank(b));
    const primary = link.media.find((m) => m.handlerId === plan.order[0] && m.state.state === 'ready');
    if (primary !== undefined && this.#publishTarget(link) !== primary) {
      this.#publishVia.set(link, primary.handlerId);
      await this.#movePublications(link, primary);
    } else if (primary !== undefined) {
      this.#publishVia.set(link, primary.handlerId);
    }
    if (this.#link !== link) return;
    const unlisted = link.media.filter((m) => !plan.order.includes(m.handlerId));
    if (primary === undefined && unlisted.some((m) => m === this.#publishTarget(link))) return; // keep sending
    for (const m of unlisted) link.media.splice(link.media.indexOf(m), 1);
    await Promise.allSettled(unlisted.map((m) => m.close()));
  }

  #warn(message: string, details: Record<string, unknown>): void {
    (this.#options.log ?? console).warn(`darktower: ${message}`, details);
    this.events.emit('warning', message, details);
  }

  async #unpublish(p: LocalPublication): Promise<void> {
    this.#publications.delete(p.streamId);
    this.#publishOptions.delete(p.streamId);
    const link = this.#link;
    if (link === undefined) return;
    await link.signaling
      .request({ case: 'unpublish', value: { streamId: p.streamId } })
      .catch(() => undefined);
  }

  // ---- subscriptions ------------------------------------------------------------------------------------

  async #subscribeAudio(streamId: string): Promise<void> {
    if (this.#options.autoSubscribeAudio === false) return;
    const link = this.#link;
    if (link === undefined || this.#audioSubscriptions.has(streamId)) return;
    this.#audioSubscriptions.add(streamId);
    try {
      await link.signaling.request({ case: 'subscribe', value: { streamId } });
    } catch (error) {
      this.#audioSubscriptions.delete(streamId);
      if (!isClientError(error, 'CLOSED')) this.events.emit('error', error);
    }
  }

  async #sendLayout(link: Link, signal?: AbortSignal): Promise<void> {
    await this.#requestLayout(link.signaling, signal);
  }

  async #requestLayout(signaling: SignalingClient, signal?: AbortSignal): Promise<void> {
    const spec = this.#layout.spec;
    if (spec === undefined) return;
    const reply = await signaling.request(
      {
        case: 'layoutRequest',
        value: {
          layout:
            spec.kind === 'grid'
              ? { case: 'grid', value: { rows: spec.rows, columns: spec.columns } }
              : { case: 'speaker', value: { thumbnails: spec.thumbnails } },
          pinnedUsers: this.#layout.pinned,
          slotStreamIds: this.#layout.slotIds,
          preferVideoOverAudio: true,
          includeSelf: false,
        },
      },
      signal,
    );
    // The answer to a LayoutRequest is a full LayoutUpdate carrying our request id.
    if (reply.kind.case === 'layoutUpdate' && this.#layout.apply(reply.kind.value)) {
      this.events.emit('layoutChanged', this.#layout.slots);
    }
  }

  /** The join-time layout (MeetingOptions.layout), asked for while the media connection opens; never throws. */
  async #initialLayout(
    response: JoinResponse,
    signaling: SignalingClient,
    trace: JoinTrace,
    signal: AbortSignal,
  ): Promise<void> {
    const others = response.existingParticipants
      .filter((p) => p.participantId !== response.participantId)
      .map(participantOf);
    const wanted = this.#options.layout?.(others);
    if (wanted === undefined) return;
    this.#layout.prepare(wanted.spec, () => randomStreamId());
    this.#layout.pinned = wanted.pinned ?? this.#layout.pinned;
    trace.mark('layout_request:start');
    try {
      await this.#requestLayout(signaling, signal);
      trace.mark('layout_request:end');
    } catch {
      trace.mark('layout_request:failed'); // the app can ask again with setLayout
    }
  }

  /** The publisher follows the slowest subscriber heard from in the last 5 s. */
  #hint(streamId: string, bps: number): void {
    const publication = this.#publications.get(streamId);
    if (publication === undefined) return;
    const now = Date.now();
    const recent = (this.#bitrateHints.get(streamId) ?? []).filter((h) => now - h.atMs < 5_000);
    recent.push({ atMs: now, bps });
    this.#bitrateHints.set(streamId, recent);
    publication.events.emit('bitrateHint', Math.min(...recent.map((h) => h.bps)));
  }

  #reportAll(): void {
    if (this.#state.state !== 'joined') return;
    const now = Date.now();
    for (const [id, stats] of this.#receiveStats) {
      const snap = stats.snapshot(now);
      if (snap === undefined) {
        this.#receiveStats.delete(id);
        continue;
      }
      void this.reportQuality(id, {
        availableBitrateBps: snap.availableBitrateBps,
        packetLoss: snap.packetLoss,
      }).catch(() => undefined);
    }
  }

  /**
   * The link for something the user asked for: now when joined; during a reconnect, once the meeting is back (a
   * network blip does not fail a click), or INVALID_STATE when it is not coming back; ABORTED with `signal`.
   */
  async #joinedLink(signal?: AbortSignal): Promise<Link> {
    for (;;) {
      const link = this.#link;
      const state = this.#state.state;
      if (link !== undefined && state === 'joined') return link;
      // Joined without a link: the drop was just seen, the state turns to reconnecting (or left) next.
      if (state !== 'reconnecting' && state !== 'joined')
        throw ClientError.invalidState(`not joined (${state})`);
      if (signal?.aborted === true) throw ClientError.aborted(signal.reason);
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          off();
          reject(ClientError.aborted(signal?.reason));
        };
        const off = this.events.on('stateChanged', () => {
          off();
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  /**
   * Runs `act` on the joined link; when it fails because that link dropped under it (CLOSED, the meeting now
   * reconnecting), runs it again on the link the meeting comes back with (twice at most).
   */
  async #onLink<T>(signal: AbortSignal | undefined, act: (link: Link) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const link = await this.#joinedLink(signal);
      try {
        return await act(link);
      } catch (error) {
        if (!isClientError(error, 'CLOSED') || !this.#droppedUnder(link) || attempt >= 3) throw error;
      }
    }
  }

  /**
   * A new publication's media stream on the link it was announced on. If that link dropped meanwhile, the reconnect
   * attaches it (#restore goes through every publication), so that is not the caller's failure.
   */
  async #attachMedia(link: Link, p: LocalPublication): Promise<void> {
    try {
      p.attach(await this.#openMedia(link, p));
    } catch (error) {
      if (!this.#droppedUnder(link)) throw error;
    }
  }

  /** `link` is no longer the meeting's live one: its signaling ended, or a reconnect replaced it. */
  #droppedUnder(link: Link): boolean {
    return link.signaling.state.state === 'disconnected' || this.#link !== link;
  }

  #requireLink(): Link {
    const link = this.#link;
    if (link === undefined || this.#state.state !== 'joined')
      throw ClientError.invalidState(`not joined (${this.#state.state})`);
    return link;
  }

  #setState(state: MeetingState): void {
    this.#state = state;
    this.events.emit('stateChanged', state);
  }
}

/** The meeting is over or gone: no point retrying. */
function endsMeeting(error: unknown): boolean {
  if (isClientError(error, 'MEETING_ENDED') || isClientError(error, 'NOT_FOUND')) return true;
  // The Global Controller answers a join to an ended meeting 409 "Meeting has ended".
  return isClientError(error, 'CONFLICT') && /ended/i.test(error.message);
}

/** A fresh join refused for a reason retrying does not change. */
function refusesJoin(error: unknown): boolean {
  return (
    isClientError(error, 'UNAUTHORIZED') ||
    isClientError(error, 'FORBIDDEN') ||
    isClientError(error, 'CAPACITY_EXCEEDED') ||
    isClientError(error, 'CONFLICT')
  );
}

function codecName(fourcc: string): string {
  switch (fourcc) {
    case 'VP08':
      return 'VP8';
    case 'VP09':
      return 'VP9';
    case 'AV01':
      return 'AV1';
    case 'OPUS':
      return 'Opus';
    default:
      return fourcc;
  }
}

/** Re-exported so callers can parse ids they get from elsewhere. */
export function asStreamId(id: string): StreamId {
  return parseStreamId(id);
}

export { LeaveReason };
