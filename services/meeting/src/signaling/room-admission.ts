// Admission of a participant: media handlers register it and mint connection tokens, and the JoinResponse that
// answers a join or a resume.
import { create } from '@bufbuild/protobuf';
import {
  JoinResponseSchema,
  MediaServerInfoSchema,
  type MediaServerInfo,
  type ServerMessage,
} from '@darktower/protocol';
import { MeetingError } from '../errors.ts';
import type { MeetingId } from '../ids.ts';
import type { MeetingRecord, ParticipantRecord } from '../state/records.ts';
import type { Member, RoomDeps, RoomOptions } from './room-types.ts';
import { participantOf, serverMessage } from './wire.ts';

export const SIGNALING_PROTOCOL_VERSION = 1;

export async function registerMedia(
  deps: RoomDeps,
  meetingId: MeetingId,
  record: ParticipantRecord,
): Promise<MediaServerInfo[]> {
  const { media, options, handlers, log } = deps;
  const results = await Promise.allSettled(
    record.handlers.map((h) =>
      media.registerParticipant(
        h,
        {
          meetingId,
          participantId: record.participantId,
          streams: record.streams,
          tokenTtlMs: options.mediaTokenTtlMs,
        },
        AbortSignal.timeout(options.rpcTimeoutMs),
      ),
    ),
  );
  const servers: MediaServerInfo[] = [];
  results.forEach((r, i) => {
    const handlerId = record.handlers[i];
    if (handlerId === undefined) return;
    if (r.status === 'rejected') {
      handlers.markUnhealthy(handlerId);
      log.warn({ err: r.reason as unknown, handlerId }, 'RegisterParticipant failed');
      return;
    }
    handlers.reserve(handlerId);
    servers.push(
      create(MediaServerInfoSchema, {
        mediaHandlerUrl: r.value.mediaHandlerUrl,
        connectionToken: r.value.connectionToken,
        handlerId,
        tokenExpiresAt: r.value.tokenExpiresAt,
        serverCertificateHashes: r.value.serverCertificateHashes,
      }),
    );
  });
  if (servers.length === 0) throw MeetingError.unavailable('No media handler accepted the participant');
  return servers;
}

export function joinResponse(
  options: RoomOptions,
  meeting: MeetingRecord,
  member: Member,
  servers: MediaServerInfo[],
  resumeToken: string,
  others: ReturnType<typeof participantOf>[],
  requestId: number,
): ServerMessage {
  const config = meeting.config;
  return serverMessage(
    {
      case: 'joinResponse',
      value: create(JoinResponseSchema, {
        participantId: member.record.participantId,
        existingParticipants: others,
        mediaServer: servers[0],
        mediaServers: servers,
        resumeToken,
        sessionTtlMs: options.sessionTtlMs,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        protocolVersion: SIGNALING_PROTOCOL_VERSION,
        meetingId: meeting.meetingId,
        meeting: {
          displayName: config.displayName,
          maxParticipants: config.maxParticipants || options.defaultMaxParticipants,
          enableE2eEncryption: config.enableE2ee,
          recordingEnabled: config.recordingEnabled,
        },
        isHost: member.record.role === 'host',
      }),
    },
    requestId,
  );
}
