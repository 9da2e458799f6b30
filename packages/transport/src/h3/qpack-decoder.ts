// Decodes a QPACK field section (RFC 9204 section 4.5) using the static table only: we advertise a dynamic
// table capacity of 0, so any reference to the dynamic table is a QPACK_DECOMPRESSION_FAILED error.
import { H3Error } from './h3-error.ts';
import { huffmanDecode } from './huffman.ts';
import { readPrefixedInt } from './qpack-integer.ts';
import { QPACK_STATIC_TABLE } from './qpack-static-table.ts';

export type HeaderField = readonly [name: string, value: string];

export interface QpackDecodeLimits {
  /** Total of name + value lengths (plus 32 per field, as RFC 9114 section 4.2.2 counts it). */
  maxFieldSectionSize: number;
  maxFields: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function staticEntry(index: number): readonly [string, string] {
  const entry = QPACK_STATIC_TABLE[index];
  if (entry === undefined) throw H3Error.qpack(`static index ${index} out of range`);
  return entry;
}

function readString(buf: Uint8Array, offset: number, prefixBits: number): { value: string; next: number } {
  if (offset >= buf.length) throw H3Error.qpack('truncated string');
  const huffman = ((buf[offset] ?? 0) & (1 << prefixBits)) !== 0;
  const { value: length, next } = readPrefixedInt(buf, offset, prefixBits);
  if (length > buf.length - next) throw H3Error.qpack('string longer than field section');
  const raw = buf.subarray(next, next + length);
  const bytes = huffman ? huffmanDecode(raw) : raw;
  return { value: utf8.decode(bytes), next: next + length };
}

export function decodeFieldSection(block: Uint8Array, limits: QpackDecodeLimits): HeaderField[] {
  const ric = readPrefixedInt(block, 0, 8);
  if (ric.value !== 0) throw H3Error.qpack('dynamic table reference (required insert count > 0)');
  const base = readPrefixedInt(block, ric.next, 7);
  let pos = base.next;
  const fields: HeaderField[] = [];
  let size = 0;
  while (pos < block.length) {
    const b = block[pos] ?? 0;
    let field: HeaderField;
    if ((b & 0x80) !== 0) {
      // Indexed field line.
      if ((b & 0x40) === 0) throw H3Error.qpack('dynamic table reference (indexed)');
      const idx = readPrefixedInt(block, pos, 6);
      field = staticEntry(idx.value);
      pos = idx.next;
    } else if ((b & 0x40) !== 0) {
      // Literal field line with name reference.
      if ((b & 0x10) === 0) throw H3Error.qpack('dynamic table reference (name)');
      const idx = readPrefixedInt(block, pos, 4);
      const value = readString(block, idx.next, 7);
      field = [staticEntry(idx.value)[0], value.value];
      pos = value.next;
    } else if ((b & 0x20) !== 0) {
      // Literal field line with literal name: 001NHxxx.
      const name = readString(block, pos, 3);
      const value = readString(block, name.next, 7);
      field = [name.value, value.value];
      pos = value.next;
    } else {
      throw H3Error.qpack('dynamic table reference (post-base)');
    }
    size += field[0].length + field[1].length + 32;
    if (size > limits.maxFieldSectionSize) throw H3Error.excessive('field section too large');
    fields.push(field);
    if (fields.length > limits.maxFields) throw H3Error.excessive('too many header fields');
  }
  return fields;
}
