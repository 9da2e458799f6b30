// What the controller persists per meeting (Redis, or memory when Redis is absent). Plain JSON-able data: a
// record read back by another controller instance is all it needs to take a meeting over.
import type { HandlerId, MeetingId, ParticipantId, SlotId, StreamId } from '../ids.ts';
import type { StreamKind } from '../layout/layout-types.ts';
import type { PublishTarget, Route } from '../routing/routing-plan.ts';

export interface MeetingConfigRecord {
  readonly displayName: string;
  readonly maxParticipants: number;
  readonly enableE2ee: boolean;
  readonly recordingEnabled: boolean;
}

export type MeetingRecord =
  | {
      readonly state: 'active';
      readonly meetingId: MeetingId;
      readonly config: MeetingConfigRecord;
      readonly createdAt: number;
    }
  | {
      readonly state: 'ended';
      readonly meetingId: MeetingId;
      readonly config: MeetingConfigRecord;
      readonly createdAt: number;
      readonly endedAt: number;
      readonly reason: string;
    };

export interface StreamRecord {
  readonly streamId: StreamId;
  readonly kind: StreamKind;
  readonly codec: string;
  readonly maxBitrate: number;
  readonly width: number;
  readonly height: number;
  readonly framerate: number;
  readonly muted: boolean;
  /** Simulcast layers, low to high; absent or empty for a single-layer stream. */
  readonly layers?: readonly SimulcastLayerRecord[];
}

/** One simulcast layer: a media stream of its own under the stream (group) id subscribers see. */
export interface SimulcastLayerRecord {
  readonly layerId: string;
  readonly streamId: StreamId;
  readonly width: number;
  readonly height: number;
  readonly maxBitrate: number;
  readonly maxFramerate: number;
}

export interface SubscriptionRecord {
  readonly streamId: StreamId;
  readonly preferredLayer: string;
  readonly maxBitrate: number;
}

export interface LayoutRecord {
  readonly kind: 'grid' | 'speaker';
  readonly rows: number;
  readonly columns: number;
  readonly slotIds: readonly SlotId[];
  /** User ids as the client sent them (mapped to participants when the layout is computed). */
  readonly pinnedUsers: readonly string[];
  readonly excludedUsers: readonly string[];
  readonly preferVideoOverAudio: boolean;
  readonly includeSelf: boolean;
  readonly version: number;
}

export type ConnectionRecord =
  | { readonly state: 'connected'; readonly controllerId: string; readonly since: number }
  | { readonly state: 'disconnected'; readonly since: number };

export interface ParticipantRecord {
  readonly participantId: ParticipantId;
  readonly meetingId: MeetingId;
  /** Join token `sub`. */
  readonly userId: string;
  readonly displayName: string;
  readonly role: 'host' | 'participant';
  readonly joinedAt: number;
  readonly streams: readonly StreamRecord[];
  readonly subscriptions: readonly SubscriptionRecord[];
  readonly layout: LayoutRecord | null;
  readonly audioMuted: boolean;
  readonly videoMuted: boolean;
  /** Video codecs it decodes (JoinRequest capabilities); absent in records written before they were kept. */
  readonly videoCodecs?: readonly string[];
  /** Media handlers, primary first. */
  readonly handlers: readonly HandlerId[];
  /** SHA-256 (hex) of the resume token handed out at join. */
  readonly resumeTokenHash: string;
  readonly connection: ConnectionRecord;
}

export interface StoredRoutingPlan {
  readonly version: number;
  readonly publish: readonly PublishTarget[];
  readonly routes: readonly Route[];
}
