declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type MeetingId = Brand<string, 'MeetingId'>;
export type MeetingCode = Brand<string, 'MeetingCode'>;
export type ControllerId = Brand<string, 'ControllerId'>;
export type TenantId = Brand<string, 'TenantId'>;
export type UserId = Brand<string, 'UserId'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return value.length === 36 && UUID.test(value);
}

/** Canonical (lower-case) meeting id, or undefined when `value` is not a UUID. */
export function parseMeetingId(value: string): MeetingId | undefined {
  return isUuid(value) ? (value.toLowerCase() as MeetingId) : undefined;
}

export function newMeetingId(): MeetingId {
  return crypto.randomUUID() as MeetingId;
}

// Controller ids come from Meeting Controllers over RPC: bounded, printable, no separators we use in keys.
const CONTROLLER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function parseControllerId(value: string): ControllerId | undefined {
  return CONTROLLER_ID.test(value) ? (value as ControllerId) : undefined;
}
