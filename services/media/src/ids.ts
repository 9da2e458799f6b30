// Branded ids and units used across the media handler. Stream ids are canonical lower-case UUID strings, the
// same 16 bytes the DART stream and frame headers carry (protocol common.proto).

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type StreamId = Brand<string, 'StreamId'>;
export type ParticipantId = Brand<string, 'ParticipantId'>;
export type MeetingId = Brand<string, 'MeetingId'>;
export type HandlerId = Brand<string, 'HandlerId'>;
/** Microseconds. */
export type Micros = Brand<number, 'Micros'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isStreamId(value: string): value is StreamId {
  return UUID.test(value);
}

export function asStreamId(value: string): StreamId {
  if (!isStreamId(value)) throw new TypeError(`not a canonical lower-case UUID: ${JSON.stringify(value)}`);
  return value;
}

export const asParticipantId = (value: string): ParticipantId => value as ParticipantId;
export const asMeetingId = (value: string): MeetingId => value as MeetingId;
export const asHandlerId = (value: string): HandlerId => value as HandlerId;

/** The 16 bytes of a stream id, as the frame and stream headers carry them. */
export function streamIdToBytes(id: StreamId, out = new Uint8Array(16), offset = 0): Uint8Array {
  const hex = id.replaceAll('-', '');
  for (let i = 0; i < 16; i++) out[offset + i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
