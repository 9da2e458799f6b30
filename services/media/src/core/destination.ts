import type { StreamType } from '@darktower/protocol';
import type { HandlerId, ParticipantId, StreamId } from '../ids.ts';
import type { FrameSink } from './frame.ts';

/** Where a routed stream goes: a participant connected here, or another handler over a cascade link. */
export type Destination =
  { kind: 'participant'; participantId: ParticipantId } | { kind: 'handler'; handlerId: HandlerId };

export function destinationKey(d: Destination): string {
  return d.kind === 'participant' ? `p:${d.participantId}` : `h:${d.handlerId}`;
}

/** What the subscriber is told in the stream header of a forwarded stream. */
export interface StreamInfo {
  streamId: StreamId;
  media: 'audio' | 'video';
  /** Stream type byte of the DART stream header (0 audio, 1 camera, 2 screen). */
  streamType: StreamType;
  /** FourCC codec code, e.g. "opus", "vp09". */
  codec: string;
  /** Participant publishing it (for stream announcements), when known. */
  publisherId?: string | undefined;
}

/** One forwarded stream as a destination opens it. */
export interface EgressStreamSpec {
  /** The id the destination receives it under (stream header and every frame header carry it). */
  forwardedId: StreamId;
  source: StreamInfo;
  slot: number | undefined;
}

/** A connected destination: opens one sink per forwarded stream (a uni stream starting with the stream header). */
export interface EgressEndpoint {
  readonly destination: Destination;
  openSink(spec: EgressStreamSpec): FrameSink;
}

/** Whoever publishes a stream into this handler: asked for key frames. */
export interface PublisherHandle {
  requestKeyframe(streamId: StreamId): void;
  /**
   * The stream now arrives over another cascade link (the controller rerouted it after a handler failed): stop
   * ingesting it here without touching the forwarder's new publisher.
   */
  relinquish?(streamId: StreamId): void;
}
