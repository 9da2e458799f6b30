// Renders a meeting's remote media: one RemoteVideo per forwarded video stream (layout slot), one RemoteAudio per
// remote audio stream, one playout clock per participant (audio/video sync). Closes decoders when streams end.
import { Emitter } from '../core/emitter.ts';
import { PlayoutClock } from '../media/jitter-buffer.ts';
import type { Meeting } from '../meeting/meeting.ts';
import type { LayoutSlotView, MediaKind, RemoteFrame } from '../meeting/meeting-types.ts';
import { RemoteAudio } from './remote-audio.ts';
import { RemoteVideo } from './remote-video.ts';

/** How many removed slot ids are remembered to refuse their late frames. */
const MAX_RETIRED_SLOTS = 256;
export interface VideoTile {
  readonly forwardedStreamId: string;
  readonly participantId: string;
  readonly kind: MediaKind;
  readonly video: RemoteVideo;
}

export interface RemoteMediaEvents {
  /** Tiles changed (added, removed, or a slot's source changed). */
  tilesChanged: [readonly VideoTile[]];
}

export class RemoteMedia implements AsyncDisposable {
  readonly events = new Emitter<RemoteMediaEvents>();
  readonly #meeting: Meeting;
  readonly #videos = new Map<string, VideoTile>();
  /** Video slots of the current layout, and slots a later layout removed (bounded, oldest forgotten first). */
  #liveSlots = new Set<string>();
  readonly #retiredSlots = new Set<string>();
  readonly #audios = new Map<string, { participantId: string; audio: RemoteAudio }>();
  /** Video slots of the layout that have no frame yet, each with its decoder already open (#prepare). */
  readonly #prepared = new Map<string, { participantId: string; video: RemoteVideo }>();
  readonly #clocks = new Map<string, PlayoutClock>();
  readonly #offs: (() => void)[] = [];
  readonly #audioContainer: HTMLElement;
  #closed = false;

  constructor(meeting: Meeting, audioContainer: HTMLElement = document.body) {
    this.#meeting = meeting;
    this.#audioContainer = audioContainer;
    this.#offs.push(
      meeting.events.on('remoteFrame', (f) => {
        this.#onFrame(f);
      }),
    );
    // What came before this renderer existed (the join resolves before the app builds it): the first key frames.
    this.#prepare(meeting.layoutSlots);
    for (const f of meeting.takeEarlyFrames()) this.#onFrame(f);
    this.#offs.push(
      meeting.events.on('layoutChanged', (slots) => {
        this.#onLayout(slots);
      }),
    );
    this.#offs.push(meeting.events.on('remoteStreamEnded', (id) => void this.#drop(id)));
    this.#offs.push(
      meeting.events.on('participantLeft', (p) => {
        for (const [id, t] of this.#videos) if (t.participantId === p.participantId) void this.#drop(id);
        for (const [id, a] of this.#audios) if (a.participantId === p.participantId) void this.#drop(id);
        for (const [id, v] of this.#prepared) if (v.participantId === p.participantId) void this.#drop(id);
        this.#clocks.delete(p.participantId);
      }),
    );
  }

  get tiles(): VideoTile[] {
    return [...this.#videos.values()];
  }

  /** Current audio level per participant (RFC 6464: 0 loudest .. 127 silence). */
  audioLevel(participantId: string): number {
    let level = 127;
    for (const a of this.#audios.values())
      if (a.participantId === participantId) level = Math.min(level, a.audio.level);
    return level;
  }

  audioFor(participantId: string): RemoteAudio[] {
    return [...this.#audios.values()].filter((a) => a.participantId === participantId).map((a) => a.audio);
  }

  #clock(participantId: string): PlayoutClock {
    let c = this.#clocks.get(participantId);
    if (c === undefined) this.#clocks.set(participantId, (c = new PlayoutClock({ targetDelayMs: 40 })));
    return c;
  }

  #onFrame(f: RemoteFrame): void {
    if (this.#closed) return;
    if (f.kind === 'audio') {
      let a = this.#audios.get(f.forwardedStreamId);
      if (a === undefined) {
        a = { participantId: f.participantId, audio: new RemoteAudio(this.#clock(f.participantId)) };
        this.#audioContainer.append(a.audio.element);
        this.#audios.set(f.forwardedStreamId, a);
      }
      a.audio.push(f);
      return;
    }
    // A frame still in flight for a slot the layout has removed must not bring its tile back: that tile would never
    // be removed again (no later layout names it), and the participant would show a picture that never updates.
    if (this.#retiredSlots.has(f.forwardedStreamId)) return;
    let tile = this.#videos.get(f.forwardedStreamId);
    if (tile?.participantId !== f.participantId || tile.kind !== f.kind) {
      const prepared = this.#prepared.get(f.forwardedStreamId);
      this.#prepared.delete(f.forwardedStreamId);
      const video = tile?.video ?? prepared?.video ?? this.#newVideo(f.participantId);
      if (prepared !== undefined && prepared.video !== video) void prepared.video.close();
      tile = { forwardedStreamId: f.forwardedStreamId, participantId: f.participantId, kind: f.kind, video };
      this.#videos.set(f.forwardedStreamId, tile);
      this.events.emit('tilesChanged', this.tiles);
    }
    tile.video.push(f);
  }

  #newVideo(participantId: string): RemoteVideo {
    return new RemoteVideo(
      this.#clock(participantId),
      // KeyframeRequest names the publisher's stream (common.proto): the handler knows the source, not our
      // layout slot id (a request naming the slot was dropped, and the tile waited for a periodic key frame).
      (sourceStreamId) => void this.#meeting.requestKeyframe(sourceStreamId),
    );
  }

  /**
   * A video slot of the layout without a tile yet gets its RemoteVideo now, decoder open in the publisher's codec
   * (from the roster), so the first key frame only has to be decoded. It becomes the slot's tile with that frame.
   */
  #prepare(slots: readonly LayoutSlotView[]): void {
    for (const s of slots) {
      if (s.kind === 'audio' || this.#videos.has(s.slotStreamId) || this.#prepared.has(s.slotStreamId))
        continue;
      const owner = this.#meeting.participants.find((p) => p.participantId === s.participantId);
      const codec = owner?.streams.find((x) => x.streamId === s.sourceStreamId)?.codec;
      if (codec === undefined) continue;
      const video = this.#newVideo(s.participantId);
      video.prepare(codec);
      this.#prepared.set(s.slotStreamId, { participantId: s.participantId, video });
    }
  }

  #onLayout(slots: readonly LayoutSlotView[]): void {
    const live = new Set(slots.filter((s) => s.kind !== 'audio').map((s) => s.slotStreamId));
    for (const [id, p] of this.#prepared) {
      const slot = slots.find((s) => s.slotStreamId === id);
      if (slot?.participantId !== p.participantId) void this.#drop(id);
    }
    this.#prepare(slots);
    for (const id of this.#liveSlots) if (!live.has(id)) this.#retiredSlots.add(id);
    for (const id of live) this.#retiredSlots.delete(id);
    for (const id of this.#retiredSlots) {
      if (this.#retiredSlots.size <= MAX_RETIRED_SLOTS) break;
      this.#retiredSlots.delete(id);
    }
    this.#liveSlots = live;
    let changed = false;
    for (const id of [...this.#videos.keys()]) {
      if (!live.has(id)) {
        void this.#drop(id);
        changed = true;
      }
    }
    for (const s of slots) {
      const t = this.#videos.get(s.slotStreamId);
      if (t !== undefined && (t.participantId !== s.participantId || t.kind !== s.kind)) {
        this.#videos.set(s.slotStreamId, { ...t, participantId: s.participantId, kind: s.kind });
        changed = true;
      }
    }
    if (changed) this.events.emit('tilesChanged', this.tiles);
  }

  async #drop(id: string): Promise<void> {
    const p = this.#prepared.get(id);
    if (p !== undefined) {
      this.#prepared.delete(id);
      await p.video.close();
    }
    const v = this.#videos.get(id);
    if (v !== undefined) {
      this.#videos.delete(id);
      this.events.emit('tilesChanged', this.tiles);
      await v.video.close();
    }
    const a = this.#audios.get(id);
    if (a !== undefined) {
      this.#audios.delete(id);
      a.audio.element.remove();
      await a.audio.close();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#offs) off();
    for (const id of [...this.#videos.keys(), ...this.#audios.keys(), ...this.#prepared.keys()])
      await this.#drop(id);
    this.#clocks.clear();
    this.events.removeAll();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
