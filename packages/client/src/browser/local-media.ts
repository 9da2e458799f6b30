// Local camera, microphone and screen shares, each feeding a publication through an encoder. Device hot-swap
// replaces the track under the same publication (a key frame follows); mute and camera-off tell the others.
import type { Meeting } from '../meeting/meeting.ts';
import type { LocalPublication } from '../meeting/local-publication.ts';
import { AudioSender } from './audio-sender.ts';
import { VideoSender } from './video-sender.ts';

interface Source<S> {
  track: MediaStreamTrack;
  publication: LocalPublication;
  sender: S;
}

export class LocalMedia implements AsyncDisposable {
  readonly #meeting: Meeting;
  readonly #videoCodec: string;
  #camera: Source<VideoSender> | undefined;
  #mic: Source<AudioSender> | undefined;
  readonly #screens = new Map<string, Source<VideoSender>>();
  audioMuted = false;
  videoMuted = false;

  constructor(meeting: Meeting, options: { videoCodec?: string } = {}) {
    this.#meeting = meeting;
    this.#videoCodec = options.videoCodec ?? 'VP8';
  }

  get cameraTrack(): MediaStreamTrack | undefined {
    return this.#camera?.track;
  }

  get publications(): LocalPublication[] {
    return [this.#camera, this.#mic, ...this.#screens.values()].flatMap((s) =>
      s === undefined ? [] : [s.publication],
    );
  }

  /** Publishes (or swaps to) a camera track. The track is owned (stopped) by LocalMedia from now on. */
  async setCamera(track: MediaStreamTrack | undefined): Promise<void> {
    const old = this.#camera;
    if (track === undefined) {
      this.#camera = undefined;
      if (old !== undefined) await this.#stop(old, true);
      return;
    }
    if (old !== undefined) {
      // Hot swap: same publication, new track and encoder.
      await old.sender.close();
      old.track.stop();
      const sender = new VideoSender(track, old.publication, { codec: this.#videoCodec });
      this.#camera = { track, publication: old.publication, sender };
      return;
    }
    const s = track.getSettings();
    const publication = await this.#meeting.publish({
      kind: 'camera',
      codec: this.#videoCodec,
      width: s.width ?? 640,
      height: s.height ?? 480,
      framerate: Math.round(s.frameRate ?? 30),
    });
    this.#camera = {
      track,
      publication,
      sender: new VideoSender(track, publication, { codec: this.#videoCodec }),
    };
  }

  async setMicrophone(track: MediaStreamTrack | undefined): Promise<void> {
    const old = this.#mic;
    if (track === undefined) {
      this.#mic = undefined;
      if (old !== undefined) await this.#stop(old, true);
      return;
    }
    if (old !== undefined) {
      await old.sender.close();
      old.track.stop();
      const sender = new AudioSender(track, old.publication);
      sender.muted = this.audioMuted;
      this.#mic = { track, publication: old.publication, sender };
      return;
    }
    const publication = await this.#meeting.publish({ kind: 'audio', codec: 'Opus' });
    const sender = new AudioSender(track, publication);
    sender.muted = this.audioMuted;
    this.#mic = { track, publication, sender };
  }

  /** Starts a screen share (any number); returns its stream id. */
  async addScreen(track: MediaStreamTrack): Promise<string> {
    const s = track.getSettings();
    const publication = await this.#meeting.publish({
      kind: 'screen',
      codec: this.#videoCodec,
      width: s.width ?? 0,
      height: s.height ?? 0,
      framerate: Math.round(s.frameRate ?? 15),
    });
    const sender = new VideoSender(track, publication, { codec: this.#videoCodec, bitrate: 1_500_000 });
    this.#screens.set(publication.streamId, { track, publication, sender });
    track.addEventListener('ended', () => void this.removeScreen(publication.streamId), { once: true });
    return publication.streamId;
  }

  async removeScreen(streamId: string): Promise<void> {
    const s = this.#screens.get(streamId);
    if (s === undefined) return;
    this.#screens.delete(streamId);
    await this.#stop(s, true);
  }

  get screenIds(): string[] {
    return [...this.#screens.keys()];
  }

  async setMuted(state: { audio: boolean; video: boolean }): Promise<void> {
    this.audioMuted = state.audio;
    this.videoMuted = state.video;
    if (this.#mic !== undefined) {
      this.#mic.sender.muted = state.audio;
      this.#mic.track.enabled = !state.audio;
    }
    if (this.#camera !== undefined) this.#camera.track.enabled = !state.video;
    await this.#meeting.setMuted(state);
  }

  async #stop(s: Source<VideoSender | AudioSender>, unpublish: boolean): Promise<void> {
    await s.sender.close();
    s.track.stop();
    if (unpublish) await s.publication.close();
  }

  async close(): Promise<void> {
    const all = [this.#camera, this.#mic, ...this.#screens.values()];
    this.#camera = undefined;
    this.#mic = undefined;
    this.#screens.clear();
    for (const s of all) if (s !== undefined) await this.#stop(s, false).catch(() => undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
