// Conversions between the controller's records and darktower.v1 wire messages.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  ErrorCode,
  ErrorMessageSchema,
  MediaStreamSchema,
  ParticipantSchema,
  ServerMessageSchema,
  SlotReason,
  StreamType,
  type ErrorMessage,
  type MediaStream,
  type Participant,
  type ServerMessage,
} from '@darktower/protocol';
import type { MeetingError } from '../errors.ts';
import type { SlotReason as LayoutSlotReason, StreamKind } from '../layout/layout-types.ts';
import type { ParticipantRecord, StreamRecord } from '../state/records.ts';

export function streamTypeOf(kind: StreamKind): StreamType {
  switch (kind) {
    case 'audio':
      return StreamType.AUDIO;
    case 'camera':
      return StreamType.VIDEO_CAMERA;
    case 'screen':
      return StreamType.VIDEO_SCREEN;
  }
}

export function kindOf(type: StreamType): StreamKind | undefined {
  switch (type) {
    case StreamType.AUDIO:
      return 'audio';
    case StreamType.VIDEO_CAMERA:
      return 'camera';
    case StreamType.VIDEO_SCREEN:
      return 'screen';
    default:
      return undefined; // an enum value this build does not know
  }
}

export function slotReasonOf(reason: LayoutSlotReason): SlotReason {
  switch (reason) {
    case 'pinned':
      return SlotReason.PINNED;
    case 'screen':
      return SlotReason.SCREEN_SHARE;
    case 'speaker':
      return SlotReason.ACTIVE_SPEAKER;
    case 'other':
      return SlotReason.OTHER;
  }
}

export function mediaStreamOf(ownerId: string, s: StreamRecord): MediaStream {
  return create(MediaStreamSchema, {
    streamId: s.streamId,
    streamType: streamTypeOf(s.kind),
    participantId: ownerId,
    muted: s.muted,
    metadata: {
      codec: s.codec,
      maxBitrate: s.maxBitrate,
      ...(s.kind === 'audio'
        ? {}
        : {
            video: {
              width: s.width,
              height: s.height,
              framerate: s.framerate,
              simulcastLayers: (s.layers ?? []).map((l) => ({ ...l })),
            },
          }),
    },
  });
}

export function participantOf(p: ParticipantRecord): Participant {
  return create(ParticipantSchema, {
    participantId: p.participantId,
    name: p.displayName,
    streams: p.streams.map((s) => mediaStreamOf(p.participantId, s)),
    joinedAt: BigInt(Math.max(0, Math.floor(p.joinedAt))),
    userId: p.userId,
    isHost: p.role === 'host',
    audioMuted: p.audioMuted,
    videoMuted: p.videoMuted,
    videoCodecs: [...(p.videoCodecs ?? [])],
  });
}

export function errorMessageOf(error: MeetingError): ErrorMessage {
  return create(ErrorMessageSchema, {
    code: ErrorCode[error.code],
    message: error.message,
    details: { ...error.details },
  });
}

export type ServerMessageKind = NonNullable<MessageInitShape<typeof ServerMessageSchema>['kind']>;

export function serverMessage(kind: ServerMessageKind, requestId = 0): ServerMessage {
  return create(ServerMessageSchema, { requestId, kind });
}

export function errorReply(error: MeetingError, requestId = 0): ServerMessage {
  return serverMessage({ case: 'error', value: errorMessageOf(error) }, requestId);
}
