// The remote participants of a meeting as the server described them.
import { StreamType, type MediaStream as WireStream, type Participant } from '@darktower/protocol';
import type { MediaKind, RemoteParticipant, RemoteStreamInfo } from './meeting-types.ts';

export function kindOfStreamType(t: StreamType): MediaKind {
  return t === StreamType.AUDIO ? 'audio' : t === StreamType.VIDEO_SCREEN ? 'screen' : 'camera';
}

export function streamTypeOfKind(k: MediaKind): StreamType {
  return k === 'audio'
    ? StreamType.AUDIO
    : k === 'screen'
      ? StreamType.VIDEO_SCREEN
      : StreamType.VIDEO_CAMERA;
}

export function streamInfoOf(s: WireStream): RemoteStreamInfo {
  return {
    streamId: s.streamId,
    kind: kindOfStreamType(s.streamType),
    codec: s.metadata?.codec ?? '',
    width: s.metadata?.video?.width ?? 0,
    height: s.metadata?.video?.height ?? 0,
    muted: s.muted,
    layers: (s.metadata?.video?.simulcastLayers ?? []).map((l) => ({
      layerId: l.layerId,
      width: l.width,
      height: l.height,
      maxBitrate: l.maxBitrate,
    })),
  };
}

export function participantOf(p: Participant): RemoteParticipant {
  const streams = p.streams.map(streamInfoOf);
  return {
    participantId: p.participantId,
    name: p.name,
    userId: p.userId,
    streams,
    audioMuted: p.audioMuted,
    videoMuted: p.videoMuted,
    videoCodecs: p.videoCodecs,
  };
}

export class Roster {
  readonly #byId = new Map<string, RemoteParticipant>();

  get all(): RemoteParticipant[] {
    return [...this.#byId.values()];
  }

  get(id: string): RemoteParticipant | undefined {
    return this.#byId.get(id);
  }

  set(p: RemoteParticipant): void {
    this.#byId.set(p.participantId, p);
  }

  delete(id: string): RemoteParticipant | undefined {
    const p = this.#byId.get(id);
    this.#byId.delete(id);
    return p;
  }

  clear(): void {
    this.#byId.clear();
  }

  /** The stream and its owner. */
  findStream(streamId: string): { participant: RemoteParticipant; stream: RemoteStreamInfo } | undefined {
    for (const participant of this.#byId.values()) {
      const stream = participant.streams.find((s) => s.streamId === streamId);
      if (stream !== undefined) return { participant, stream };
    }
    return undefined;
  }
}
