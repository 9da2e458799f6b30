// Local camera, microphone and screen shares, each feeding a publication through an encoder. The camera is sent as
// three simulcast layers (full, 1/2, 1/4) unless turned off; video uses the codec every participant decodes
// (negotiated from Participant.video_codecs and what this browser encodes, VP8 as the floor), and the camera is
// published again in another codec when someone joins who cannot decode the current one (or the last one who could
// not leaves). Device hot-swap replaces the track under the same publication (a key frame follows); mute and
// camera-off tell the others.
import type { Meeting } from '../meeting/meeting.ts';
import type { LocalPublication } from '../meeting/local-publication.ts';
import {
  chooseVideoCodec,
  DEFAULT_VIDEO_CODEC_PREFERENCE,
  type VideoCodecName,
} from '../media/codec-choice.ts';
import { simulcastLadder } from '../media/simulcast-ladder.ts';
import type { SimulcastPublication } from '../media/simulcast-publication.ts';
import { AudioSender } from './audio-sender.ts';
import { costAwarePreference, hardwareVideoCodecs } from './codec-probe.ts';
import { SimulcastVideoSender } from './simulcast-sender.ts';
import { VideoSender } from './video-sender.ts';
import { videoCodecSupport } from './webcodecs-types.ts';

interface Source<S> {
  track: MediaStreamTrack;
  publication: LocalPublication;
  sender: S;
}

type Camera =
  | {
      kind: 'single';
      track: MediaStreamTrack;
      codec: string;
      publication: LocalPublication;
      sender: VideoSender;
    }
  | {
      kind: 'simulcast';
      track: MediaStreamTrack;
      codec: string;
      publication: SimulcastPublication;
      sender: SimulcastVideoSender;
    };

export interface LocalMediaOptions {
  /** A fixed video codec (no negotiation). */
  readonly videoCodec?: string;
  /** What this browser encodes (default: probed with VideoEncoder/VideoDecoder.isConfigSupported). */
  readonly encodeCodecs?: readonly string[];
  /**
   * Codec preference for negotiation. Default: codecs this browser encodes in hardware (VP9, AV1, H.264 in that
   * order), then VP8, then the software ones: VP8 unless something cheaper is there.
   */
  readonly codecPreference?: readonly VideoCodecName[];
  /** Camera as three simulcast layers (default true). */
  readonly simulcast?: boolean;
  /** Bitrate ceiling of the camera's full-resolution layer (default 800 kbit/s). */
  readonly cameraBitrate?: number;
}

export class LocalMedia implements AsyncDisposable {
  readonly #meeting: Meeting;
  readonly #options: LocalMediaOptions;
  #encodeCodecs: Promise<readonly string[]> | undefined;
  #preference: Promise<readonly VideoCodecName[]> | undefined;
  #camera: Camera | undefined;
  #mic: Source<AudioSender> | undefined;
  readonly #screens = new Map<string, Source<VideoSender>>();
  readonly #offs: (() => void)[] = [];
  /** Camera changes (set, swap, renegotiation) one at a time. */
  #cameraQueue: Promise<void> = Promise.resolve();
  #closed = false;
  audioMuted = false;
  videoMuted = false;

  constructor(meeting: Meeting, options: LocalMediaOptions = {}) {
    this.#meeting = meeting;
    this.#options = options;
    if (options.videoCodec === undefined) {
      const renegotiate = (): void => {
        void this.#serial(() => this.#renegotiate()).catch((error: unknown) => {
          meeting.events.emit('error', error);
        });
      };
      this.#offs.push(
        meeting.events.on('participantJoined', renegotiate),
        meeting.events.on('participantLeft', renegotiate),
      );
    }
    this.#offs.push(
      // Joined afresh after a refused resume: the controller no longer knows the simulcast group (single streams
      // the meeting announces again itself), so the camera is published anew.
      meeting.events.on('rejoined', () => {
        void this.#serial(() => this.#renegotiate(true)).catch((error: unknown) => {
          meeting.events.emit('error', error);
        });
      }),
      meeting.events.on('qualityUpdate', (u) => {
        const camera = this.#camera;
        if (camera?.kind === 'simulcast' && u.streamId === camera.publication.streamId)
          camera.sender.onSubscriberHint(u.availableBitrate);
      }),
    );
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  get cameraTrack(): MediaStreamTrack | undefined {
    return this.#camera?.track;
  }

  /** The camera's stream id as subscribers see it (the simulcast group id). */
  get cameraStreamId(): string | undefined {
    return this.#camera?.publication.streamId;
  }

  /** The codec the camera is encoded with now ('VP8', 'VP9', ...). */
  get cameraCodec(): string | undefined {
    return this.#camera?.codec;
  }

  /** The camera's simulcast sender (layers, stats, bitrate targets), when simulcast is on. */
  get cameraSender(): SimulcastVideoSender | VideoSender | undefined {
    return this.#camera?.sender;
  }

  get publications(): LocalPublication[] {
    const camera = this.#camera;
    const cam =
      camera === undefined
        ? []
        : camera.kind === 'single'
          ? [camera.publication]
          : camera.publication.layers.map((l) => l.publication);
    return [
      ...cam,
      ...[this.#mic, ...this.#screens.values()].flatMap((s) => (s === undefined ? [] : [s.publication])),
    ];
  }

  /** The codec video is sent with now: fixed, or the best every participant decodes. */
  async videoCodec(): Promise<string> {
    if (this.#options.videoCodec !== undefined) return this.#options.videoCodec;
    this.#encodeCodecs ??= this.#options.encodeCodecs
      ? Promise.resolve(this.#options.encodeCodecs)
      : videoCodecSupport().catch(() => ['VP8']);
    this.#preference ??= this.#options.codecPreference
      ? Promise.resolve(this.#options.codecPreference)
      : hardwareVideoCodecs()
          .catch(() => [])
          .then((hw) => costAwarePreference(hw, DEFAULT_VIDEO_CODEC_PREFERENCE));
    const [local, preference] = await Promise.all([this.#encodeCodecs, this.#preference]);
    return chooseVideoCodec(
      local,
      this.#meeting.participants.map((p) => p.videoCodecs ?? []),
      preference,
    );
  }

  /** Publishes (or swaps to) a camera track. The track is owned (stopped) by LocalMedia from now on. */
  setCamera(track: MediaStreamTrack | undefined): Promise<void> {
    return this.#serial(async () => {
      const old = this.#camera;
      if (track === undefined) {
        this.#camera = undefined;
        if (old !== undefined) await this.#stopCamera(old, true);
        return;
      }
      if (old !== undefined) {
        // Hot swap: same publication, new track and encoder(s).
        await old.sender.close();
        old.track.stop();
        this.#camera =
          old.kind === 'single'
            ? { ...old, track, sender: new VideoSender(track, old.publication, { codec: old.codec }) }
            : { ...old, track, sender: new SimulcastVideoSender(track, old.publication) };
        return;
      }
      this.#camera = await this.#publishCamera(track, await this.videoCodec());
    });
  }

  async #publishCamera(track: MediaStreamTrack, codec: string): Promise<Camera> {
    const s = track.getSettings();
    const width = s.width ?? 640;
    const height = s.height ?? 480;
    const framerate = Math.round(s.frameRate ?? 30);
    const maxBitrate = this.#options.cameraBitrate ?? 800_000;
    const layers = simulcastLadder({ width, height, framerate, maxBitrate });
    if (this.#options.simulcast === false || layers.length < 2) {
      const publication = await this.#meeting.publish({
        kind: 'camera',
        codec,
        width,
        height,
        framerate,
        maxBitrate,
      });
      const sender = new VideoSender(track, publication, { codec, bitrate: maxBitrate });
      return { kind: 'single', track, codec, publication, sender };
    }
    const publication = await this.#meeting.publishSimulcast({
      kind: 'camera',
      codec,
      width,
      height,
      framerate,
      maxBitrate,
      layers: layers.map(({ scaleDown: _, ...l }) => l),
    });
    const sender = new SimulcastVideoSender(track, publication);
    return { kind: 'simulcast', track, codec, publication, sender };
  }

  /** Publishes the camera again when the codec every participant decodes changed (or `always`, for simulcast). */
  async #renegotiate(always = false): Promise<void> {
    const old = this.#camera;
    if (old === undefined || this.#closed) return;
    const codec = await this.videoCodec();
    if (this.#camera !== old) return;
    if (codec === old.codec && !(always && old.kind === 'simulcast')) return;
    const track = old.track;
    this.#camera = undefined;
    await old.sender.close();
    await old.publication.close();
    const next = await this.#publishCamera(track, codec);
    if (!this.isClosed) {
      this.#camera = next;
      next.track.enabled = !this.videoMuted;
    } else await this.#stopCamera(next, true);
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
    const codec = await this.videoCodec();
    const publication = await this.#meeting.publish({
      kind: 'screen',
      codec,
      width: s.width ?? 0,
      height: s.height ?? 0,
      framerate: Math.round(s.frameRate ?? 15),
    });
    const sender = new VideoSender(track, publication, { codec, bitrate: 1_500_000 });
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

  #serial(work: () => Promise<void>): Promise<void> {
    const run = this.#cameraQueue.then(work);
    this.#cameraQueue = run.catch(() => undefined);
    return run;
  }

  async #stopCamera(c: Camera, unpublish: boolean): Promise<void> {
    await c.sender.close();
    c.track.stop();
    if (unpublish) await c.publication.close();
  }

  async #stop(s: Source<VideoSender | AudioSender>, unpublish: boolean): Promise<void> {
    await s.sender.close();
    s.track.stop();
    if (unpublish) await s.publication.close();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#offs) off();
    await this.#cameraQueue;
    const camera = this.#camera;
    const all = [this.#mic, ...this.#screens.values()];
    this.#camera = undefined;
    this.#mic = undefined;
    this.#screens.clear();
    if (camera !== undefined) await this.#stopCamera(camera, false).catch(() => undefined);
    for (const s of all) if (s !== undefined) await this.#stop(s, false).catch(() => undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
