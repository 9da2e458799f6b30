// Encodes a QPACK field section with the static table only (no dynamic table, so it never blocks the peer).
import { huffmanEncode, huffmanEncodedLength } from './huffman.ts';
import { writePrefixedInt } from './qpack-integer.ts';
import { QPACK_STATIC_TABLE } from './qpack-static-table.ts';
import type { HeaderField } from './qpack-decoder.ts';

const utf8 = new TextEncoder();

function findStatic(name: string, value: string): { full: number; name: number } {
  let nameIndex = -1;
  for (let i = 0; i < QPACK_STATIC_TABLE.length; i++) {
    const entry = QPACK_STATIC_TABLE[i];
    if (entry?.[0] !== name) continue;
    if (entry[1] === value) return { full: i, name: i };
    if (nameIndex < 0) nameIndex = i;
  }
  return { full: -1, name: nameIndex };
}

function writeString(out: number[], flags: number, prefixBits: number, text: string): void {
  const raw = utf8.encode(text);
  const huffLen = huffmanEncodedLength(raw);
  if (huffLen < raw.length) {
    writePrefixedInt(out, flags | (1 << prefixBits), prefixBits, huffLen);
    for (const b of huffmanEncode(raw)) out.push(b);
  } else {
    writePrefixedInt(out, flags, prefixBits, raw.length);
    for (const b of raw) out.push(b);
  }
}

export function encodeFieldSection(fields: readonly HeaderField[]): Uint8Array {
  const out: number[] = [0x00, 0x00]; // Required Insert Count 0, Base 0.
  for (const [name, value] of fields) {
    const found = findStatic(name, value);
    if (found.full >= 0) {
      writePrefixedInt(out, 0xc0, 6, found.full);
    } else if (found.name >= 0) {
      writePrefixedInt(out, 0x50, 4, found.name);
      writeString(out, 0x00, 7, value);
    } else {
      writeString(out, 0x20, 3, name);
      writeString(out, 0x00, 7, value);
    }
  }
  return Uint8Array.from(out);
}
