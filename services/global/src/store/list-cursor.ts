import { GlobalError } from '../domain/errors.ts';
import { isUuid } from '../domain/ids.ts';

/** Position in the meeting list (newest first): the last row's creation time and id, as an opaque token. */
export interface ListCursor {
  readonly createdAt: Date;
  readonly meetingId: string;
}

const MAX_CURSOR_CHARS = 200;

export function encodeListCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.meetingId])).toString(
    'base64url',
  );
}

export function decodeListCursor(value: string): ListCursor {
  const bad = (): GlobalError => GlobalError.invalidRequest('cursor is not valid');
  if (value.length === 0 || value.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(value)) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw bad();
  const [at, id] = parsed as unknown[];
  if (typeof at !== 'string' || typeof id !== 'string' || !isUuid(id)) throw bad();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(at)) throw bad();
  const createdAt = new Date(at);
  if (Number.isNaN(createdAt.getTime())) throw bad();
  return { createdAt, meetingId: id.toLowerCase() };
}
