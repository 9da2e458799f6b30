// Branded ids: a ParticipantId cannot be passed where a StreamId is expected, although both are strings on the wire.
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type MeetingId = Brand<string, 'MeetingId'>;
export type ParticipantId = Brand<string, 'ParticipantId'>;
/** A media stream as named by its publisher (unique within a meeting). */
export type StreamId = Brand<string, 'StreamId'>;
/** A stream id chosen by a subscriber for one layout slot. */
export type SlotId = Brand<string, 'SlotId'>;
export type HandlerId = Brand<string, 'HandlerId'>;
export type ControllerId = Brand<string, 'ControllerId'>;

/** Milliseconds since the epoch (or since an injected clock's origin). */
export type Millis = Brand<number, 'Millis'>;

export const MeetingId = (value: string): MeetingId => value as MeetingId;
export const ParticipantId = (value: string): ParticipantId => value as ParticipantId;
export const StreamId = (value: string): StreamId => value as StreamId;
export const SlotId = (value: string): SlotId => value as SlotId;
export const HandlerId = (value: string): HandlerId => value as HandlerId;
export const ControllerId = (value: string): ControllerId => value as ControllerId;
export const Millis = (value: number): Millis => value as Millis;

/** The clock every time-dependent manager takes through its constructor, so tests can drive time. */
export interface Clock {
  now(): Millis;
}

export const systemClock: Clock = { now: () => Date.now() as Millis };
