// The meeting room's model: the SDK's Meeting plus local capture and remote rendering, flattened into a snapshot
// of tiles the Svelte view renders. The view calls the actions; `onChange` tells it to re-read `snapshot()`.
import {
  DarkTowerApi,
  Meeting,
  webConnector,
  type Connector,
  type LayoutSpec,
  type MeetingOptions,
  type MeetingState,
  type RemoteParticipant,
} from '@darktower/client';
import { LocalMedia, RemoteMedia, videoCodecSupport, warmUpCodecProbes } from '@darktower/client/browser';
import type { DevConfig } from './dev-config.ts';
import { e2eeView, workerKeyringFactory, type E2eeView } from './e2ee-view.ts';

export interface TileView {
  readonly key: string;
  readonly participantId: string;
  readonly name: string;
  readonly kind: 'camera' | 'screen';
  readonly self: boolean;
  readonly canvas: HTMLCanvasElement | undefined;
  /** The layout slot (forwarded stream id) this tile shows, for remote video tiles; its size picks the layer. */
  readonly slotId: string | undefined;
  readonly audioMuted: boolean;
  readonly videoMuted: boolean;
  readonly speaking: boolean;
  readonly pinned: boolean;
}

export interface RoomSnapshot {
  readonly state: MeetingState;
  readonly tiles: readonly TileView[];
  readonly participants: readonly RemoteParticipant[];
  readonly layout: 'grid' | 'speaker';
  readonly audioMuted: boolean;
  readonly videoMuted: boolean;
  readonly sharing: boolean;
  readonly isHost: boolean;
  readonly transport: string;
  readonly quality: 'good' | 'fair' | 'poor';
  readonly endedReason: string | undefined;
  /** Something the user should know (e.g. their media could not be sent). */
  readonly problem: string | undefined;
  /** End-to-end encryption: the mode badge and the verification code. */
  readonly e2ee: E2eeView;
}

export interface JoinArgs {
  readonly api: DarkTowerApi;
  readonly config: DevConfig;
  readonly meeting: string;
  readonly displayName: string;
  readonly userToken: string | undefined;
  readonly stream: MediaStream | undefined;
  readonly transport: 'auto' | 'webtransport' | 'websocket';
  /** What the pre-join page prepared (JoinPreparation.joinOptions()): the grant and the signaling session. */
  readonly prepared?: Pick<MeetingOptions, 'grant' | 'connector'> | undefined;
}

/** Enough slots for every camera plus screen shares. */
function layoutFor(layout: 'grid' | 'speaker', others: readonly RemoteParticipant[]): LayoutSpec {
  const screens = others.reduce((n, p) => n + p.streams.filter((s) => s.kind === 'screen').length, 0);
  const wanted = Math.max(1, others.length + screens);
  return layout === 'speaker'
    ? { kind: 'speaker', thumbnails: Math.min(8, Math.max(1, wanted - 1)) }
    : {
        kind: 'grid',
        rows: Math.ceil(wanted / Math.ceil(Math.sqrt(wanted))),
        columns: Math.ceil(Math.sqrt(wanted)),
      };
}

export class Room {
  readonly meeting: Meeting;
  readonly local: LocalMedia;
  readonly remote: RemoteMedia;
  readonly #audioBox: HTMLElement;
  readonly #listeners = new Set<() => void>();
  #displayName = '';
  #layout: 'grid' | 'speaker' = 'grid';
  #pinned: string | undefined;
  /** The last layout asked for (spec and pins), to skip asking again for the same. */
  #layoutKey = '';
  #speakers: readonly string[] = [];
  #endedReason: string | undefined;
  #problem: string | undefined;
  #selfPreview: HTMLCanvasElement | undefined;
  #previewVideo: HTMLVideoElement | undefined;
  #previewTimer: ReturnType<typeof setInterval> | undefined;
  #sframeIn: E2eeView['where'] = 'main thread';

  private constructor(meeting: Meeting, audioBox: HTMLElement) {
    this.meeting = meeting;
    this.#audioBox = audioBox;
    this.local = new LocalMedia(meeting);
    this.remote = new RemoteMedia(meeting, audioBox);
    const changed = (): void => {
      this.#changed();
    };
    for (const e of [
      'participantJoined',
      'participantLeft',
      'participantUpdated',
      'layoutChanged',
      'stateChanged',
    ] as const) {
      meeting.events.on(e, changed);
    }
    meeting.events.on('activeSpeakers', (ids) => {
      this.#speakers = ids;
      this.#changed();
    });
    meeting.events.on('publicationFailed', () => {
      this.#problem = 'Your camera, microphone or screen could not be sent to the meeting.';
      this.#changed();
    });
    meeting.events.on('meetingEnded', (reason) => {
      this.#endedReason = reason || 'The meeting has ended.';
      this.#changed();
    });
    meeting.events.on('participantJoined', () => void this.#requestLayout());
    meeting.events.on('participantLeft', () => void this.#requestLayout());
    // A participant started or stopped a screen share: the layout needs a slot more or less (with too few slots the
    // share took the camera's slot and the camera disappeared).
    meeting.events.on('participantUpdated', () => void this.#requestLayout({ onlyIfChanged: true }));
    this.remote.events.on('tilesChanged', changed);
    meeting.e2ee.events.on('stateChanged', changed);
  }

  /** How this page opens sessions (the dev stack's certificate and fallback URLs; a forced transport). */
  static connector(config: DevConfig, transport: JoinArgs['transport']): Connector {
    return webConnector({
      webSocketUrl: config.webSocketUrl,
      serverCertificateHashes: config.certificateHashes,
      ...(transport === 'auto' ? {} : { only: transport }),
    });
  }

  static async join(args: JoinArgs, signal?: AbortSignal): Promise<Room> {
    const connector = args.prepared?.connector ?? Room.connector(args.config, args.transport);
    // Probed once per page, and started on the pre-join page (Room.prepare): usually already known here.
    const videoCodecs = await videoCodecSupport();
    const keyring = workerKeyringFactory();
    let initialLayout = '';
    const meeting = await Meeting.join(
      {
        api: args.api,
        connector,
        ...(args.prepared?.grant === undefined ? {} : { grant: args.prepared.grant }),
        meeting: args.meeting,
        displayName: args.displayName,
        userToken: args.userToken,
        capabilities: { videoCodecs: videoCodecs.length > 0 ? videoCodecs : ['VP8'], audioCodecs: ['Opus'] },
        // Asked for with the join (while the media connection opens): the others' video starts sooner.
        layout: (others) => {
          initialLayout = JSON.stringify([layoutFor('grid', others), []]);
          return { spec: layoutFor('grid', others), pinned: [] };
        },
        ...(keyring === undefined ? {} : { e2ee: { keyring } }),
      },
      signal,
    );
    const box = document.createElement('div');
    box.hidden = true;
    document.body.append(box);
    const room = new Room(meeting, box);
    room.#displayName = args.displayName;
    room.#layoutKey = initialLayout;
    room.#sframeIn = keyring === undefined ? 'main thread' : 'worker';
    try {
      const video = args.stream?.getVideoTracks()[0];
      const audio = args.stream?.getAudioTracks()[0];
      if (video !== undefined) room.#startPreview(video);
      // Side by side: the layout (what brings the others' video; normally already asked for with the join) does not
      // wait for our own camera and microphone to be announced and opened, nor they for each other (the join waited
      // for all three in turn).
      await Promise.all([
        // Again only if someone came or went since the join's layout was asked for.
        room.#requestLayout({ onlyIfChanged: true }).then(() => {
          meeting.markJoin('app:layout_set');
        }),
        video === undefined
          ? undefined
          : room.local.setCamera(video).then(() => {
              meeting.markJoin('app:camera_published');
            }),
        audio === undefined
          ? undefined
          : room.local.setMicrophone(audio).then(() => {
              meeting.markJoin('app:microphone_published');
            }),
      ]);
    } catch (error) {
      await room.leave();
      throw error;
    }
    return room;
  }

  /** Work a join needs that can start before it (on the pre-join page): the codec probes. */
  static prepare(): void {
    warmUpCodecProbes();
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  snapshot(): RoomSnapshot {
    const m = this.meeting;
    const self = m.participantId;
    const tiles: TileView[] = [];
    const videoTiles = this.remote.tiles;
    tiles.push({
      key: `self-${self}`,
      participantId: self,
      name: `${this.#displayName} (you)`,
      kind: 'camera',
      self: true,
      canvas: this.local.videoMuted ? undefined : this.#selfPreview,
      slotId: undefined,
      audioMuted: this.local.audioMuted,
      videoMuted: this.local.videoMuted,
      speaking: this.#speakers[0] === self,
      pinned: false,
    });
    const slots = m.layoutSlots;
    for (const p of m.participants) {
      const cam = videoTiles.find((t) => t.participantId === p.participantId && t.kind === 'camera');
      // The slot is known from the layout before its first frame: the tile's size reaches the handler before the
      // first key frame is asked for, so the first picture already comes in the layer that fits.
      const camSlot =
        slots.find((s) => s.participantId === p.participantId && s.kind === 'camera')?.slotStreamId ??
        cam?.forwardedStreamId;
      tiles.push({
        key: `cam-${p.participantId}`,
        participantId: p.participantId,
        name: p.name,
        kind: 'camera',
        self: false,
        canvas: p.videoMuted ? undefined : cam?.video.canvas,
        slotId: camSlot,
        audioMuted: p.audioMuted,
        videoMuted: p.videoMuted,
        speaking: this.#speakers[0] === p.participantId,
        pinned: this.#pinned === p.participantId,
      });
      for (const s of videoTiles.filter((t) => t.participantId === p.participantId && t.kind === 'screen')) {
        tiles.push({
          key: `screen-${s.forwardedStreamId}`,
          participantId: p.participantId,
          name: p.name,
          kind: 'screen',
          self: false,
          canvas: s.video.canvas,
          slotId: s.forwardedStreamId,
          audioMuted: p.audioMuted,
          videoMuted: false,
          speaking: false,
          pinned: false,
        });
      }
    }
    const rtt = m.signalingRttMs;
    return {
      state: m.state,
      tiles,
      participants: m.participants,
      layout: this.#layout,
      audioMuted: this.local.audioMuted,
      videoMuted: this.local.videoMuted,
      sharing: this.local.screenIds.length > 0,
      isHost: m.isHost,
      transport: m.transport,
      quality: rtt === 0 || rtt < 150 ? 'good' : rtt < 400 ? 'fair' : 'poor',
      endedReason: this.#endedReason,
      problem: this.#problem,
      e2ee: e2eeView(m, this.#sframeIn),
    };
  }

  /**
   * A tile's size on screen changed (CSS pixels): its slot asks for the simulcast layer that fits it
   * (Meeting.setSlotSize), so a thumbnail does not receive, and decode, the full-resolution layer.
   */
  setTileSize(slotId: string, size: { width: number; height: number }): void {
    if (size.width > 0 && size.height > 0) this.meeting.setSlotSize(slotId, size);
  }

  /** Remote audio level of a participant, 0 (silence) .. 127 (loudest); for the UI meter and tests. */
  audioLevel(participantId: string): number {
    return 127 - this.remote.audioLevel(participantId);
  }

  async toggleAudio(): Promise<void> {
    await this.local.setMuted({ audio: !this.local.audioMuted, video: this.local.videoMuted });
    this.#changed();
  }

  async toggleVideo(): Promise<void> {
    await this.local.setMuted({ audio: this.local.audioMuted, video: !this.local.videoMuted });
    this.#changed();
  }

  async toggleScreenShare(): Promise<void> {
    const ids = this.local.screenIds;
    if (ids.length > 0) {
      for (const id of ids) await this.local.removeScreen(id);
    } else {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 15 }, audio: false });
      const track = stream.getVideoTracks()[0];
      if (track === undefined) return;
      await this.local.addScreen(track);
    }
    this.#changed();
  }

  async switchDevice(kind: 'audioinput' | 'videoinput', deviceId: string): Promise<void> {
    const stream = await navigator.mediaDevices.getUserMedia(
      kind === 'videoinput'
        ? { video: { deviceId: { exact: deviceId } } }
        : { audio: { deviceId: { exact: deviceId } } },
    );
    const track = kind === 'videoinput' ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0];
    if (track === undefined) return;
    if (kind === 'videoinput') {
      this.#startPreview(track);
      await this.local.setCamera(track);
    } else {
      await this.local.setMicrophone(track);
    }
    this.#changed();
  }

  async setLayout(layout: 'grid' | 'speaker'): Promise<void> {
    this.#layout = layout;
    await this.#requestLayout();
    this.#changed();
  }

  async togglePin(participantId: string): Promise<void> {
    this.#pinned = this.#pinned === participantId ? undefined : participantId;
    await this.#requestLayout();
    this.#changed();
  }

  async endForAll(): Promise<void> {
    await this.meeting.endMeeting();
  }

  async leave(): Promise<void> {
    clearInterval(this.#previewTimer);
    await this.local.close();
    await this.remote.close();
    await this.meeting.leave();
    this.#audioBox.remove();
    this.#previewVideo?.remove();
    this.#changed();
  }

  async #requestLayout(options: { onlyIfChanged?: boolean } = {}): Promise<void> {
    if (this.meeting.state.state !== 'joined') return;
    const spec = layoutFor(this.#layout, this.meeting.participants);
    const pinned = this.#pinned === undefined ? [] : [this.#pinnedUserId(this.#pinned)];
    const key = JSON.stringify([spec, pinned]);
    if (options.onlyIfChanged === true && key === this.#layoutKey) return;
    this.#layoutKey = key;
    await this.meeting.setLayout(spec, { pinned }).catch(() => undefined);
  }

  #pinnedUserId(participantId: string): string {
    const p = this.meeting.participants.find((x) => x.participantId === participantId);
    return p?.userId !== undefined && p.userId !== '' ? p.userId : participantId;
  }

  /** The self view draws the camera track through a hidden video element. */
  #startPreview(track: MediaStreamTrack): void {
    clearInterval(this.#previewTimer);
    const video = (this.#previewVideo ??= document.createElement('video'));
    video.muted = true;
    video.playsInline = true;
    video.srcObject = new MediaStream([track]);
    void video.play().catch(() => undefined);
    const canvas = (this.#selfPreview ??= document.createElement('canvas'));
    this.#previewTimer = setInterval(() => {
      if (video.videoWidth === 0) return;
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext('2d')?.drawImage(video, 0, 0);
    }, 100);
  }

  #changed(): void {
    for (const l of this.#listeners) l();
  }
}
