import { ProtocolError } from '../errors/protocol-error.ts';

declare const streamIdBrand: unique symbol;

/**
 * A media stream id: 16 bytes on the wire (media stream and frame headers), the canonical lower-case UUID string
 * (8-4-4-4-12 hex) in protobuf messages and in memory. Any 16 bytes are a valid id; the UUID version bits are not
 * checked, so every id round-trips.
 */
export type StreamId = string & { readonly [streamIdBrand]: true };

export const STREAM_ID_BYTES = 16;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses a UUID string (either case) into a canonical {@link StreamId}; throws INVALID_STREAM_ID. */
export function parseStreamId(input: string): StreamId {
  if (!UUID_RE.test(input)) throw ProtocolError.invalidStreamId(input);
  return input.toLowerCase() as StreamId;
}

/** Like {@link parseStreamId} but returns undefined instead of throwing. */
export function tryParseStreamId(input: string): StreamId | undefined {
  return UUID_RE.test(input) ? (input.toLowerCase() as StreamId) : undefined;
}

/** Reads 16 bytes at `offset` as a {@link StreamId}. The caller guarantees `offset + 16 <= bytes.length`. */
export function readStreamId(bytes: Uint8Array, offset = 0): StreamId {
  if (offset < 0 || offset + STREAM_ID_BYTES > bytes.length) {
    throw ProtocolError.truncated('stream id', STREAM_ID_BYTES, Math.max(0, bytes.length - offset));
  }
  const o = offset;
  return `${hx(bytes, o)}${hx(bytes, o + 1)}${hx(bytes, o + 2)}${hx(bytes, o + 3)}-${hx(bytes, o + 4)}${hx(bytes, o + 5)}-${hx(bytes, o + 6)}${hx(bytes, o + 7)}-${hx(bytes, o + 8)}${hx(bytes, o + 9)}-${hx(bytes, o + 10)}${hx(bytes, o + 11)}${hx(bytes, o + 12)}${hx(bytes, o + 13)}${hx(bytes, o + 14)}${hx(bytes, o + 15)}` as StreamId;
}

// Small enough for V8 to inline; the fallbacks never apply (callers checked the bounds).
function hx(bytes: Uint8Array, i: number): string {
  return HEX[bytes[i] ?? 0] ?? '00';
}

/** Writes the 16 bytes of `id` into `target` at `offset`. */
export function writeStreamId(id: StreamId, target: Uint8Array, offset = 0): void {
  if (offset < 0 || offset + STREAM_ID_BYTES > target.length) {
    throw ProtocolError.invalidArgument('stream id does not fit in the target buffer');
  }
  let j = 0;
  for (let i = 0; i < STREAM_ID_BYTES; i++) {
    if (id.charCodeAt(j) === 45 /* '-' */) j++;
    target[offset + i] = (hexValue(id.charCodeAt(j)) << 4) | hexValue(id.charCodeAt(j + 1));
    j += 2;
  }
}

/** The 16 bytes of `id`. */
export function streamIdToBytes(id: StreamId): Uint8Array {
  const out = new Uint8Array(STREAM_ID_BYTES);
  writeStreamId(id, out, 0);
  return out;
}

/** A {@link StreamId} from exactly 16 bytes. */
export function streamIdFromBytes(bytes: Uint8Array): StreamId {
  if (bytes.length !== STREAM_ID_BYTES)
    throw ProtocolError.lengthMismatch('stream id', STREAM_ID_BYTES, bytes.length);
  return readStreamId(bytes, 0);
}

/** A random (version 4) {@link StreamId} from the platform's CSPRNG. */
export function randomStreamId(): StreamId {
  return crypto.randomUUID() as StreamId;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  throw ProtocolError.invalidStreamId(String.fromCharCode(c));
}
