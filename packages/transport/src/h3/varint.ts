// QUIC variable-length integers (RFC 9000 section 16). Values are JS numbers: everything this layer keeps
// (stream ids, frame types, lengths, setting ids) fits below 2^53; larger values decode approximately, which
// is harmless because they are only ever compared with small known constants or rejected by a size cap.

export const MAX_VARINT = 2 ** 62 - 1;

/** Bytes needed to encode `value`. */
export function varintLength(value: number): 1 | 2 | 4 | 8 {
  if (value < 0x40) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x40000000) return 4;
  return 8;
}

/** Writes `value` at `offset`; returns the offset after it. The caller guarantees room. */
export function writeVarint(out: Uint8Array, offset: number, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** 62)
    throw new RangeError(`varint out of range: ${value}`);
  const len = varintLength(value);
  switch (len) {
    case 1:
      out[offset] = value;
      return offset + 1;
    case 2:
      out[offset] = 0x40 | (value >>> 8);
      out[offset + 1] = value & 0xff;
      return offset + 2;
    case 4:
      out[offset] = 0x80 | (value >>> 24);
      out[offset + 1] = (value >>> 16) & 0xff;
      out[offset + 2] = (value >>> 8) & 0xff;
      out[offset + 3] = value & 0xff;
      return offset + 4;
    case 8: {
      const hi = Math.floor(value / 2 ** 32);
      const lo = value >>> 0;
      out[offset] = 0xc0 | (hi >>> 24);
      out[offset + 1] = (hi >>> 16) & 0xff;
      out[offset + 2] = (hi >>> 8) & 0xff;
      out[offset + 3] = hi & 0xff;
      out[offset + 4] = lo >>> 24;
      out[offset + 5] = (lo >>> 16) & 0xff;
      out[offset + 6] = (lo >>> 8) & 0xff;
      out[offset + 7] = lo & 0xff;
      return offset + 8;
    }
  }
}

export function encodeVarint(value: number): Uint8Array {
  const out = new Uint8Array(varintLength(value));
  writeVarint(out, 0, value);
  return out;
}

/** Length of the varint whose first byte is `first`. */
export function varintLengthFromFirstByte(first: number): 1 | 2 | 4 | 8 {
  return (1 << (first >> 6)) as 1 | 2 | 4 | 8;
}

/** Reads a varint at `offset`; undefined when the bytes end first (need more input). */
export function readVarint(buf: Uint8Array, offset: number): { value: number; next: number } | undefined {
  if (offset >= buf.length) return undefined;
  const first = buf[offset] ?? 0;
  const len = varintLengthFromFirstByte(first);
  if (offset + len > buf.length) return undefined;
  let value = first & 0x3f;
  for (let i = 1; i < len; i++) value = value * 256 + (buf[offset + i] ?? 0);
  return { value, next: offset + len };
}
