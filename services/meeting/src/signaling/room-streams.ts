// Stream, subscription, layout and mute operations of a room. Each validates its input against the meeting (stream
// ids of other meetings, or of nobody, are NOT_FOUND), reconciles (media handlers acknowledge routes first), then
// answers the requester and tells the others.
import {
  tryParseStreamId,
  type LayoutRequest,
  type MuteStateChange,
  type PublishStream,
  type StreamQualityUpdate,
  type SubscribeStream,
} from '@darktower/protocol';
import { MeetingError } from '../errors.ts';
import { SlotId, StreamId, type ParticipantId } from '../ids.ts';
import { slotCapacity } from '../layout/compute-layout.ts';
import { MAX_GRID_DIMENSION } from '../layout/layout-types.ts';
import type { LayoutRecord, StreamRecord } from '../state/records.ts';
import type { MediaHandlerGateway } from './media-gateway.ts';
import type { MeetingRoom } from './meeting-room.ts';
import { layoutRequestOf } from './room-layouts.ts';
import type { Member, RoomOptions } from './room-types.ts';
import { simulcastLayersOf } from './stream-capabilities.ts';
import { kindOf, mediaStreamOf, serverMessage } from './wire.ts';

const MAX_USER_LIST = 256;
const MAX_TEXT = 64;

function connectedMember(
  room: MeetingRoom,
  id: ParticipantId,
): Member & { link: NonNullable<Member['link']> } {
  const m = room.member(id);
  if (m?.link === undefined) throw MeetingError.notFound('Participant is not connected');
  return m as Member & { link: NonNullable<Member['link']> };
}

function findStream(
  room: MeetingRoom,
  streamId: string,
): { owner: Member; stream: StreamRecord } | undefined {
  for (const m of room.connectedMembers()) {
    const stream = m.record.streams.find((s) => s.streamId === streamId);
    if (stream !== undefined) return { owner: m, stream };
  }
  return undefined;
}

function clampUint(value: number, max: number): number {
  return Number.isFinite(value) ? Math.min(Math.max(0, Math.floor(value)), max) : 0;
}

export function publish(
  room: MeetingRoom,
  options: RoomOptions,
  id: ParticipantId,
  msg: PublishStream,
  requestId: number,
): Promise<void> {
  return room.run(async () => {
    const m = connectedMember(room, id);
    const streamId = tryParseStreamId(msg.streamId);
    if (streamId === undefined) throw MeetingError.invalidRequest('stream_id must be a UUID');
    const kind = kindOf(msg.streamType);
    if (kind === undefined) throw MeetingError.invalidRequest('unknown stream_type');
    if (m.record.streams.length >= options.maxStreamsPerParticipant) {
      throw MeetingError.capacityExceeded('Too many published streams');
    }
    const video = msg.metadata?.video;
    const layers = kind === 'audio' ? [] : simulcastLayersOf(streamId, video?.simulcastLayers);
    const ids = new Set<string>([streamId, ...layers.map((l) => l.streamId)]);
    for (const other of [...room.connectedMembers(), m]) {
      for (const s of other.record.streams) {
        if (ids.has(s.streamId) || (s.layers ?? []).some((l) => ids.has(l.streamId)))
          throw MeetingError.conflict('stream_id in use');
      }
    }
    const stream: StreamRecord = {
      streamId: StreamId(streamId),
      kind,
      codec: (msg.metadata?.codec ?? '').slice(0, MAX_TEXT),
      maxBitrate: clampUint(msg.metadata?.maxBitrate ?? 0, 1e9),
      width: clampUint(video?.width ?? 0, 16384),
      height: clampUint(video?.height ?? 0, 16384),
      framerate: clampUint(video?.framerate ?? 0, 480),
      muted: kind === 'audio' ? m.record.audioMuted : m.record.videoMuted,
      ...(layers.length > 0 ? { layers } : {}),
    };
    m.record = { ...m.record, streams: [...m.record.streams, stream] };
    await room.persist(m);
    await room.grantStreams(m);
    const published = mediaStreamOf(id, stream);
    // Others hear of the stream first (their layouts may take it); then routes are set up and acknowledged by the
    // media handlers; only then is the publisher told where to send (architecture.md "Publish Media Stream Flow").
    room.broadcast(
      serverMessage({ case: 'streamPublished', value: { participantId: id, stream: published } }),
      id,
    );
    await room.reconcile();
    m.link.send(
      serverMessage(
        {
          case: 'streamPublished',
          value: { participantId: id, stream: published, handlerIds: m.record.handlers.slice(0, 1) },
        },
        requestId,
      ),
    );
  });
}

export function unpublish(
  room: MeetingRoom,
  id: ParticipantId,
  streamId: string,
  requestId: number,
): Promise<void> {
  return room.run(async () => {
    const m = connectedMember(room, id);
    if (!m.record.streams.some((s) => s.streamId === streamId)) throw MeetingError.notFound('No such stream');
    m.record = { ...m.record, streams: m.record.streams.filter((s) => s.streamId !== streamId) };
    await room.persist(m);
    // The handlers learn at once: the stream stops and the publisher cannot publish that id again.
    await room.grantStreams(m);
    for (const other of room.connectedMembers()) {
      if (other.record.subscriptions.some((s) => s.streamId === streamId)) {
        other.record = {
          ...other.record,
          subscriptions: other.record.subscriptions.filter((s) => s.streamId !== streamId),
        };
        await room.persist(other);
      }
    }
    m.link.send(serverMessage({ case: 'ack', value: {} }, requestId));
    room.broadcast(serverMessage({ case: 'streamUnpublished', value: { participantId: id, streamId } }), id);
    await room.reconcile();
  });
}

export function subscribe(
  room: MeetingRoom,
  options: RoomOptions,
  id: ParticipantId,
  msg: SubscribeStream,
  requestId: number,
): Promise<void> {
  return room.run(async () => {
    const m = connectedMember(room, id);
    const found = findStream(room, msg.streamId);
    if (found === undefined) throw MeetingError.notFound('No such stream in this meeting');
    if (found.owner.record.participantId === id)
      throw MeetingError.invalidRequest('Cannot subscribe to own stream');
    const rest = m.record.subscriptions.filter((s) => s.streamId !== found.stream.streamId);
    if (rest.length >= options.maxSubscriptionsPerParticipant) {
      throw MeetingError.capacityExceeded('Too many subscriptions');
    }
    const preferredLayer = (msg.options?.preferredLayer ?? '').slice(0, MAX_TEXT);
    m.record = {
      ...m.record,
      subscriptions: [
        ...rest,
        {
          streamId: found.stream.streamId,
          preferredLayer,
          maxBitrate: clampUint(msg.options?.maxBitrate ?? 0, 1e9),
        },
      ],
    };
    await room.persist(m);
    await room.reconcile(); // the handler acknowledged the route before the subscriber hears back
    m.link.send(
      serverMessage(
        {
          case: 'subscriptionAck',
          value: {
            streamId: found.stream.streamId,
            handlerId: m.record.handlers[0] ?? '',
            layerId: preferredLayer,
          },
        },
        requestId,
      ),
    );
  });
}

export function unsubscribe(
  room: MeetingRoom,
  id: ParticipantId,
  streamId: string,
  requestId: number,
): Promise<void> {
  return room.run(async () => {
    const m = connectedMember(room, id);
    if (!m.record.subscriptions.some((s) => s.streamId === streamId))
      throw MeetingError.notFound('Not subscribed');
    m.record = { ...m.record, subscriptions: m.record.subscriptions.filter((s) => s.streamId !== streamId) };
    await room.persist(m);
    m.link.send(serverMessage({ case: 'ack', value: {} }, requestId));
    await room.reconcile();
  });
}

/** Validates a LayoutRequest into what is stored (throws INVALID_REQUEST). */
export function layoutRecordOf(msg: LayoutRequest, version: number): LayoutRecord {
  if (msg.pinnedUsers.length > MAX_USER_LIST || msg.excludedUsers.length > MAX_USER_LIST) {
    throw MeetingError.invalidRequest('too many pinned or excluded users');
  }
  const slotIds = msg.slotStreamIds.map((raw) => {
    const id = tryParseStreamId(raw);
    if (id === undefined) throw MeetingError.invalidRequest('slot_stream_ids must be UUIDs');
    return SlotId(id);
  });
  const base = {
    slotIds,
    pinnedUsers: msg.pinnedUsers.map((u) => u.slice(0, 256)),
    excludedUsers: msg.excludedUsers.map((u) => u.slice(0, 256)),
    preferVideoOverAudio: msg.preferVideoOverAudio,
    includeSelf: msg.includeSelf,
    version,
  };
  const layout = msg.layout;
  let record: LayoutRecord;
  switch (layout.case) {
    case 'grid': {
      const { rows, columns } = layout.value;
      record = { kind: 'grid', rows, columns, ...base };
      break;
    }
    case 'speaker':
      if (slotIds.length > 1 + Math.min(layout.value.thumbnails, MAX_GRID_DIMENSION)) {
        throw MeetingError.invalidRequest('more stream ids than speaker view slots');
      }
      record = { kind: 'speaker', rows: 1, columns: slotIds.length, ...base };
      break;
    case undefined:
      throw MeetingError.invalidRequest('layout must be grid or speaker');
  }
  slotCapacity(layoutRequestOf(record, [])); // rows/columns range, slot count, distinct ids
  return record;
}

export function setLayout(
  room: MeetingRoom,
  id: ParticipantId,
  msg: LayoutRequest,
  requestId: number,
): Promise<void> {
  return room.run(async () => {
    const m = connectedMember(room, id);
    const record = layoutRecordOf(msg, (m.record.layout?.version ?? 0) + 1);
    m.record = { ...m.record, layout: record };
    await room.persist(m);
    await room.reconcile(id, requestId);
  });
}

/**
 * A subscriber asks for a key frame of a stream it receives (a slot stream id stands for the slot's source): the
 * handler its publisher sends to asks the publisher.
 */
export function requestKeyframe(
  room: MeetingRoom,
  media: MediaHandlerGateway,
  id: ParticipantId,
  streamId: string,
  layerId: string,
): Promise<void> {
  return room.run(async () => {
    const m = connectedMember(room, id);
    const slot = m.layout?.slots.find((s) => s.slotId === streamId);
    const found = findStream(room, slot?.streamId ?? streamId);
    if (found === undefined) throw MeetingError.notFound('No such stream in this meeting');
    const handler = found.owner.record.handlers[0];
    if (handler === undefined) throw MeetingError.unavailable('Publisher has no media handler');
    await media.requestKeyframe(
      handler,
      found.stream.streamId,
      layerId.slice(0, MAX_TEXT),
      AbortSignal.timeout(5_000),
    );
  });
}

/** A subscriber reports how a stream reaches it: relayed to the stream's publisher. */
export function relayQuality(
  room: MeetingRoom,
  id: ParticipantId,
  update: StreamQualityUpdate,
): Promise<void> {
  return room.run(() => {
    const m = connectedMember(room, id);
    // A slot stream id of the subscriber's layout stands for the source currently in that slot.
    const slot = m.layout?.slots.find((s) => s.slotId === update.streamId);
    const found = findStream(room, slot?.streamId ?? update.streamId);
    if (found === undefined) throw MeetingError.notFound('No such stream in this meeting');
    if (found.owner.record.participantId === id)
      throw MeetingError.invalidRequest('Quality updates are for received streams');
    found.owner.link?.send(
      serverMessage({
        case: 'qualityUpdate',
        value: {
          streamId: found.stream.streamId,
          availableBitrate: update.availableBitrate,
          packetLoss: Number.isFinite(update.packetLoss) ? Math.min(1, Math.max(0, update.packetLoss)) : 0,
          rttMs: update.rttMs,
        },
      }),
    );
  });
}

export function setMute(
  room: MeetingRoom,
  id: ParticipantId,
  msg: MuteStateChange,
  requestId: number,
): Promise<void> {
  return room.run(async () => {
    const m = connectedMember(room, id);
    m.record = {
      ...m.record,
      audioMuted: msg.audioMuted,
      videoMuted: msg.videoMuted,
      streams: m.record.streams.map((s) => ({
        ...s,
        muted: s.kind === 'audio' ? msg.audioMuted : msg.videoMuted,
      })),
    };
    await room.persist(m);
    m.link.send(serverMessage({ case: 'ack', value: {} }, requestId));
    room.broadcast(
      serverMessage({
        case: 'muteState',
        value: { participantId: id, audioMuted: msg.audioMuted, videoMuted: msg.videoMuted },
      }),
      id,
    );
  });
}
