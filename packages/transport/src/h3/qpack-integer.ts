// QPACK/HPACK prefixed integers (RFC 7541 section 5.1), capped so hostile input cannot grow them without bound.
import { H3Error } from './h3-error.ts';

const MAX_PREFIXED_INT = 2 ** 32;

/** Reads an integer whose first byte carries `prefixBits` bits of it. */
export function readPrefixedInt(
  buf: Uint8Array,
  offset: number,
  prefixBits: number,
): { value: number; next: number } {
  if (offset >= buf.length) throw H3Error.qpack('truncated integer');
  const max = (1 << prefixBits) - 1;
  let value = (buf[offset] ?? 0) & max;
  let pos = offset + 1;
  if (value < max) return { value, next: pos };
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw H3Error.qpack('truncated integer');
    const b = buf[pos++] ?? 0;
    value += (b & 0x7f) * 2 ** shift;
    if (value > MAX_PREFIXED_INT) throw H3Error.qpack('integer too large');
    if ((b & 0x80) === 0) return { value, next: pos };
    shift += 7;
  }
}

/** Appends an integer with `prefixBits` bits in the first byte, whose high bits are `flags`. */
export function writePrefixedInt(out: number[], flags: number, prefixBits: number, value: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(flags | value);
    return;
  }
  out.push(flags | max);
  let rest = value - max;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}
