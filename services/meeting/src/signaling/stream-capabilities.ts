// What a participant can decode and how a published video is layered (simulcast), as checked from the client's
// JoinRequest capabilities and PublishStream metadata. The controller does not choose codecs: it records each
// participant's decodable codecs and passes them on in Participant.video_codecs, so every publisher can pick a codec
// all subscribers decode (VP8 is the floor every client has).
import { tryParseStreamId, type ParticipantCapabilities, type SimulcastLayer } from '@darktower/protocol';
import { MeetingError } from '../errors.ts';
import { StreamId } from '../ids.ts';
import type { SimulcastLayerRecord } from '../state/records.ts';

const MAX_CODECS = 8;
const MAX_CODEC_NAME = 16;
/** Simulcast layers per stream (the client sends three; a little room for others). */
export const MAX_SIMULCAST_LAYERS = 4;

/** The decodable video codecs of a join, de-duplicated and bounded; VP8 when the client named none. */
export function videoCodecsOf(capabilities: ParticipantCapabilities | undefined): string[] {
  const out: string[] = [];
  for (const raw of capabilities?.videoCodecs ?? []) {
    const name = raw.trim().slice(0, MAX_CODEC_NAME);
    if (name === '' || out.some((c) => c.toUpperCase() === name.toUpperCase())) continue;
    out.push(name);
    if (out.length === MAX_CODECS) break;
  }
  return out.length > 0 ? out : ['VP8'];
}

function clampUint(value: number, max: number): number {
  return Number.isFinite(value) ? Math.min(Math.max(0, Math.floor(value)), max) : 0;
}

/**
 * The simulcast layers of a published video, low to high as the client listed them. Each layer travels as a media
 * stream of its own, so each needs a distinct UUID that is not the group's id.
 */
export function simulcastLayersOf(
  groupId: string,
  layers: readonly SimulcastLayer[] | undefined,
): SimulcastLayerRecord[] {
  if (layers === undefined || layers.length === 0) return [];
  if (layers.length > MAX_SIMULCAST_LAYERS)
    throw MeetingError.invalidRequest(`at most ${MAX_SIMULCAST_LAYERS} simulcast layers`);
  const out: SimulcastLayerRecord[] = [];
  for (const l of layers) {
    const streamId = tryParseStreamId(l.streamId);
    if (streamId === undefined) throw MeetingError.invalidRequest('simulcast layer stream_id must be a UUID');
    const layerId = l.layerId.trim().slice(0, MAX_CODEC_NAME);
    if (layerId === '') throw MeetingError.invalidRequest('simulcast layer needs a layer_id');
    if (streamId === groupId || out.some((o) => o.streamId === (streamId as string) || o.layerId === layerId))
      throw MeetingError.invalidRequest('simulcast layer ids and stream ids must be distinct');
    out.push({
      layerId,
      streamId: StreamId(streamId),
      width: clampUint(l.width, 16384),
      height: clampUint(l.height, 16384),
      maxBitrate: clampUint(l.maxBitrate, 1e9),
      maxFramerate: clampUint(l.maxFramerate, 480),
    });
  }
  return out;
}
