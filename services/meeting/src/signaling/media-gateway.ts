// How the controller talks to media handlers (MediaHandlerService over Connect in production; a test double only in
// unit tests). Every call names the handler; the gateway knows how to reach it.
import type { RegisterParticipantResponse, RouteMediaRequest, RouteMediaResponse } from '@darktower/protocol';
import type { HandlerId, MeetingId, ParticipantId } from '../ids.ts';
import type { StreamRecord } from '../state/records.ts';

export interface MediaHandlerGateway {
  /** Admits a participant on a handler; the handler mints the single-use connection token. */
  registerParticipant(
    handlerId: HandlerId,
    request: {
      readonly meetingId: MeetingId;
      readonly participantId: ParticipantId;
      readonly streams: readonly StreamRecord[];
      readonly tokenTtlMs: number;
    },
    signal?: AbortSignal,
  ): Promise<RegisterParticipantResponse>;
  unregisterParticipant(
    handlerId: HandlerId,
    meetingId: MeetingId,
    participantId: ParticipantId,
    signal?: AbortSignal,
  ): Promise<void>;
  routeMedia(
    handlerId: HandlerId,
    request: RouteMediaRequest,
    signal?: AbortSignal,
  ): Promise<RouteMediaResponse>;
  /** Lets `handlerId` forward this meeting's media to `peer` (handler-to-handler cascade). */
  setupCascade(
    handlerId: HandlerId,
    request: { readonly meetingId: MeetingId; readonly peer: HandlerId },
    signal?: AbortSignal,
  ): Promise<void>;
  /** Asks the handler that receives `streamId` from its publisher to get a key frame. */
  requestKeyframe(
    handlerId: HandlerId,
    streamId: string,
    layerId: string,
    signal?: AbortSignal,
  ): Promise<boolean>;
}
