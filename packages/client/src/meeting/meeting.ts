// A participant in one meeting: token from the Global Controller, signaling to the Meeting Controller, media to the
// assigned handler(s); publishes local streams, subscribes remote audio directly and video through a layout, and
// resumes after a network drop (same participant id within the session TTL). Transport-neutral: the Connector
// decides WebTransport, WebSocket fallback or a race; bots in Node use the same class.
import {
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
import { SignalingClient } from '../signaling/signaling-client.ts';
import { LayoutState } from './layout-state.ts';
import { LocalPublication } from './local-publication.ts';
import type {
  Connector,
  LayoutSlotView,
  LayoutSpec,
  MediaKind,
  MeetingEvents,
  MeetingState,
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
  readonly transform?: FrameTransform;
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
  readonly media: MediaConnection[];
  readonly response: JoinResponse;
}

export class Meeting implements AsyncDisposable {
  readonly events = new Emitter<MeetingEvents>((error) => {
    queueMicrotask(() => {
      throw error;
    });
  });
  readonly roster = new Roster();
  readonly #options: MeetingOptions;
  readonly #transform: FrameTransform;
  readonly #layout = new LayoutState();
  readonly #publications = new Map<string, LocalPublication>();
  readonly #audioSubscriptions = new Set<string>();
  readonly #receiveStats = new Map<string, ReceiveStats>();
  readonly #bitrateHints = new Map<string, { atMs: number; bps: number }[]>();
  #qualityTimer: ReturnType<typeof setInterval> | undefined;
  readonly #abort = new AbortController();
  #state: MeetingState = { state: 'idle' };
  #link: Link | undefined;
  #meetingId = '';
  #resumeToken = '';
  #closing: Promise<void> | undefined;
  #resolveClosed!: () => void;
  readonly closed: Promise<void>;

  private constructor(options: MeetingOptions) {
    this.#options = options;
    this.#transform = options.transform ?? identityTransform;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  /** Joins; rejects with a ClientError (UNAUTHORIZED, NOT_FOUND, CAPACITY_EXCEEDED, UNAVAILABLE, ...). */
  static async join(options: MeetingOptions, signal?: AbortSignal): Promise<Meeting> {
    const meeting = new Meeting(options);
    meeting.#setState({ state: 'joining' });
    try {
      const link = await meeting.#connect(undefined, anySignal(signal, meeting.#abort.signal));
      meeting.#adopt(link, false);
      return meeting;
    } catch (error) {
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
    const link = this.#requireLink();
    const fourcc = fourCCForCodec(options.codec) ?? parseFourCC(options.codec);
    const streamId = randomStreamId();
    const publication = new LocalPublication(streamId, options.kind, fourcc, (p) => this.#unpublish(p));
    publication.events.on('failed', (error) => {
      this.events.emit('publicationFailed', streamId, error);
    });
    await this.#announce(link, publication, options, signal);
    this.#publications.set(streamId, publication);
    publication.attach(await this.#openMedia(link, publication));
    return publication;
  }

  /** Asks for a layout; the controller answers with slots (layoutChanged) and media arrives per slot. */
  async setLayout(
    spec: LayoutSpec,
    options: { pinned?: string[] } = {},
    signal?: AbortSignal,
  ): Promise<void> {
    const link = this.#requireLink();
    this.#layout.prepare(spec, () => randomStreamId());
    this.#layout.pinned = options.pinned ?? this.#layout.pinned;
    await this.#sendLayout(link, signal);
  }

  async setMuted(state: { audio: boolean; video: boolean }, signal?: AbortSignal): Promise<void> {
    const link = this.#requireLink();
    await link.signaling.request(
      { case: 'muteState', value: { audioMuted: state.audio, videoMuted: state.video } },
      signal,
    );
  }

  /** Asks the publisher of a stream we receive for a key frame (through the handler that delivers it). */
  async requestKeyframe(forwardedStreamId: string): Promise<void> {
    const link = this.#link;
    if (link === undefined) return;
    await Promise.allSettled(link.media.map((m) => m.requestKeyframe(forwardedStreamId)));
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
    const link = this.#requireLink();
    await link.signaling.request({ case: 'endMeeting', value: { reason } }, signal);
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
      clearInterval(this.#qualityTimer);
      for (const p of [...this.#publications.values()]) p.attach(undefined);
      this.#publications.clear();
      const link = this.#link;
      this.#link = undefined;
      if (link !== undefined) await this.#closeLink(link);
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
    let grant: JoinGrant;
    if (o.grant !== undefined) grant = await o.grant(signal);
    else if (api !== undefined)
      grant = await api.joinMeeting(
        o.meeting,
        { displayName: o.displayName, userToken: o.userToken },
        signal,
      );
    else throw ClientError.invalidState('Meeting needs `api` or `grant`');
    this.#meetingId = grant.meetingId;
    const session = await o.connector(
      { url: grant.meetingControllerUrl, serverCertificateHashes: [], purpose: 'signaling' },
      signal,
    );
    const signaling = await SignalingClient.open(session, { signal });
    let response: JoinResponse;
    try {
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
      );
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
    const media: MediaConnection[] = [];
    try {
      const results = await Promise.allSettled(servers.map((s) => this.#openMediaConnection(s, signal)));
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

  async #openMediaConnection(server: MediaServerInfo, signal: AbortSignal): Promise<MediaConnection> {
    const session = await this.#options.connector(
      {
        url: server.mediaHandlerUrl,
        serverCertificateHashes: server.serverCertificateHashes,
        purpose: 'media',
      },
      signal,
    );
    return MediaConnection.open(session, server.connectionToken, { signal, transform: this.#transform });
  }

  /** Makes a fresh link current: roster, listeners, re-publish, layout. */
  #adopt(link: Link, resumed: boolean): void {
    this.#link = link;
    const r = link.response;
    this.#resumeToken = r.resumeToken;
    if (!resumed) {
      for (const p of r.existingParticipants) {
        if (p.participantId === r.participantId) continue;
        this.roster.set(participantOf(p));
      }
    }
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
    if (!resumed) for (const p of this.roster.all) this.events.emit('participantJoined', p);
    for (const p of this.roster.all)
      for (const s of p.streams) if (s.kind === 'audio') void this.#subscribeAudio(s.streamId);
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
      if (stream === undefined || m.participantId === this.participantId) return;
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
    for (const m of link.media) {
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
    }
  }

  async #onFrame(f: ReceivedFrame): Promise<void> {
    const id = f.streamId as string;
    const slot = this.#layout.bySlotStreamId(id);
    let participantId: string | undefined;
    let sourceStreamId: string | undefined;
    let kind: MediaKind | undefined;
    if (slot !== undefined) {
      // Audio reaches us through direct subscriptions; an audio-only tile's slot would play it twice.
      if (slot.kind === 'audio') return;
      ({ participantId, sourceStreamId, kind } = slot);
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
    this.events.emit('remoteFrame', {
      participantId,
      sourceStreamId,
      forwardedStreamId: id,
      kind,
      codec,
      header: f.header,
      payload,
      receivedAtUs: f.receivedAtUs,
    });
  }

  async #onDrop(link: Link, cause: unknown): Promise<void> {
    const attempts = this.#options.reconnectAttempts ?? 5;
    const participantId = link.response.participantId;
    this.#link = undefined;
    for (const p of this.#publications.values()) p.attach(undefined);
    await this.#closeLink(link);
    for (let attempt = 1; attempt <= attempts && this.#closing === undefined; attempt++) {
      this.#setState({ state: 'reconnecting', participantId, attempt });
      try {
        await sleep(this.#options.reconnectDelayMs ?? 1_000, this.#abort.signal);
        const next = await this.#connect({ participantId }, this.#abort.signal);
        this.#layout.reset();
        this.#adopt(next, true);
        for (const p of this.#publications.values()) p.attach(await this.#openMedia(next, p));
        if (this.#layout.spec !== undefined) await this.#sendLayout(next);
        return;
      } catch (error) {
        if (isClientError(error, 'SESSION_EXPIRED') || isClientError(error, 'ABORTED')) break;
        if (isClientError(error, 'NOT_FOUND')) break;
      }
    }
    if (this.#closing !== undefined) return;
    this.#setState({ state: 'left', reason: 'connection-lost', error: cause });
    await this.close();
  }

  async #closeLink(link: Link): Promise<void> {
    await Promise.allSettled([...link.media.map((m) => m.close()), link.signaling.close()]);
  }

  // ---- publishing ---------------------------------------------------------------------------------------

  async #announce(link: Link, p: LocalPublication, o: PublishOptions, signal?: AbortSignal): Promise<void> {
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
              ? { video: { width: o.width ?? 0, height: o.height ?? 0, framerate: o.framerate ?? 0 } }
              : {}),
          },
        },
      },
      signal,
    );
  }

  async #openMedia(link: Link, p: LocalPublication): Promise<LocalMediaStream> {
    // The primary handler receives our streams (StreamPublished.handler_ids names it; it is media_servers[0]).
    const media = link.media[0];
    if (media === undefined) throw new ClientError('UNAVAILABLE', 'no media connection');
    return media.publish({ streamId: p.streamId, streamType: streamTypeOfKind(p.kind), codec: p.codec });
  }

  async #unpublish(p: LocalPublication): Promise<void> {
    this.#publications.delete(p.streamId);
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
    const spec = this.#layout.spec;
    if (spec === undefined) return;
    const reply = await link.signaling.request(
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
