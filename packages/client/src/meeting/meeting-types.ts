import type { FrameHeader, LeaveReason, StreamQualityUpdate } from '@darktower/protocol';
import type { Session } from '@darktower/transport/browser';

export type MediaKind = 'audio' | 'camera' | 'screen';

/** Opens a session to a signaling or media URL (WebTransport, WebSocket fallback, or a race of both). */
export type Connector = (
  target: {
    readonly url: string;
    readonly serverCertificateHashes: readonly Uint8Array[];
    readonly purpose: 'signaling' | 'media';
  },
  signal: AbortSignal,
) => Promise<Session>;

export interface RemoteStreamInfo {
  readonly streamId: string;
  readonly kind: MediaKind;
  readonly codec: string;
  readonly width: number;
  readonly height: number;
  readonly muted: boolean;
  /** Simulcast layers, low to high (absent or empty: one layer). */
  readonly layers?: readonly RemoteLayerInfo[];
}

export interface RemoteLayerInfo {
  readonly layerId: string;
  readonly width: number;
  readonly height: number;
  readonly maxBitrate: number;
}

export interface RemoteParticipant {
  readonly participantId: string;
  readonly name: string;
  readonly userId: string;
  readonly streams: readonly RemoteStreamInfo[];
  readonly audioMuted: boolean;
  readonly videoMuted: boolean;
  /** Video codecs it decodes (absent from older controllers: VP8 only). */
  readonly videoCodecs?: readonly string[];
}

/** A slot of the subscriber's layout and what fills it. */
export interface LayoutSlotView {
  readonly slot: number;
  readonly slotStreamId: string;
  readonly participantId: string;
  readonly sourceStreamId: string;
  readonly kind: MediaKind;
}

/** A decrypted frame of a remote stream, ready for a decoder. */
export interface RemoteFrame {
  readonly participantId: string;
  /** The publisher's stream id. */
  readonly sourceStreamId: string;
  /** The id it travelled under (a layout slot id, or the source id for direct subscriptions). */
  readonly forwardedStreamId: string;
  readonly kind: MediaKind;
  readonly codec: string;
  readonly header: FrameHeader;
  readonly payload: Uint8Array;
  readonly receivedAtUs: number;
}

export type MeetingState =
  | { readonly state: 'idle' }
  | { readonly state: 'joining' }
  | {
      readonly state: 'joined';
      readonly participantId: string;
      readonly transport: Session['protocol'];
      readonly isHost: boolean;
    }
  | { readonly state: 'reconnecting'; readonly participantId: string; readonly attempt: number }
  | { readonly state: 'left'; readonly reason: LeftReason; readonly error?: unknown };

export type LeftReason = 'left' | 'kicked' | 'meeting-ended' | 'connection-lost' | 'refused';

export interface MeetingEvents {
  stateChanged: [MeetingState];
  participantJoined: [RemoteParticipant];
  participantLeft: [RemoteParticipant, LeaveReason];
  participantUpdated: [RemoteParticipant];
  layoutChanged: [readonly LayoutSlotView[]];
  activeSpeakers: [readonly string[]];
  remoteFrame: [RemoteFrame];
  /** A forwarded stream stopped: drop its decoder. */
  remoteStreamEnded: [string];
  keyframeRequested: [string];
  /** A local stream could not be sent (the handler refused or reset it): stream id and cause. */
  publicationFailed: [string, unknown];
  qualityUpdate: [StreamQualityUpdate];
  meetingEnded: [string];
  /** A reconnection attempt failed (attempt number from 1, the error); more attempts follow unless `left` does. */
  reconnectFailed: [number, unknown];
  /**
   * The controller refused to resume the session (SESSION_EXPIRED: the resume window passed or the state is gone;
   * UNAUTHORIZED: the token no longer fits it): the SDK joins afresh under a new participant id.
   */
  resumeRefused: [unknown];
  /** After a refused resume the meeting was joined afresh: the previous and the new participant id. */
  rejoined: [string, string];
  error: [unknown];
  /** Input from the services that was ignored (a bad MediaServersUpdate, an unreachable handler): what and why. */
  warning: [string, Record<string, unknown>];
}

export type LayoutSpec =
  | { readonly kind: 'grid'; readonly rows: number; readonly columns: number }
  | { readonly kind: 'speaker'; readonly thumbnails: number };
