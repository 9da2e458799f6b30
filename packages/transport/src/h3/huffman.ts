// HPACK/QPACK Huffman string decoding and encoding (RFC 7541 section 5.2 and Appendix B).
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from './huffman-table.ts';
import { H3Error } from './h3-error.ts';

// Decoding tree as flat arrays: node i has children left[i]/right[i]; a leaf holds symbol >= 0.
interface Tree {
  left: Int32Array;
  right: Int32Array;
  symbol: Int32Array;
}

function buildTree(): Tree {
  const size = 2 * 257 + 1;
  const left = new Int32Array(size).fill(-1);
  const right = new Int32Array(size).fill(-1);
  const symbol = new Int32Array(size).fill(-1);
  let next = 1;
  for (let sym = 0; sym < 256; sym++) {
    const code = HUFFMAN_CODES[sym] ?? 0;
    const len = HUFFMAN_LENGTHS[sym] ?? 0;
    let node = 0;
    for (let bit = len - 1; bit >= 0; bit--) {
      const one = Math.floor(code / 2 ** bit) % 2 === 1;
      const branch = one ? right : left;
      let child = branch[node] ?? -1;
      if (child < 0) {
        child = next++;
        branch[node] = child;
      }
      node = child;
    }
    symbol[node] = sym;
  }
  return { left, right, symbol };
}

let tree: Tree | undefined;

/**
 * Decodes a Huffman-coded string. Rejects (H3Error QPACK_DECOMPRESSION_FAILED) on padding longer than 7 bits,
 * padding that is not all ones, or an EOS symbol, as RFC 7541 requires. Output is at most 8/5 of the input.
 */
export function huffmanDecode(input: Uint8Array): Uint8Array {
  tree ??= buildTree();
  const { left, right, symbol } = tree;
  const out = new Uint8Array(Math.ceil((input.length * 8) / 5));
  let o = 0;
  let node = 0;
  let depth = 0; // bits consumed since the last emitted symbol
  let allOnes = true;
  for (const byte of input) {
    for (let bit = 7; bit >= 0; bit--) {
      const one = ((byte >> bit) & 1) === 1;
      node = (one ? right[node] : left[node]) ?? -1;
      depth++;
      allOnes &&= one;
      if (node < 0) throw H3Error.qpack('invalid huffman code (EOS or unknown)');
      const sym = symbol[node] ?? -1;
      if (sym >= 0) {
        out[o++] = sym;
        node = 0;
        depth = 0;
        allOnes = true;
      }
    }
  }
  if (depth > 7) throw H3Error.qpack('huffman padding longer than 7 bits');
  if (!allOnes) throw H3Error.qpack('huffman padding is not EOS prefix');
  return out.subarray(0, o);
}

/** Huffman-encodes bytes (used by tests and by our encoder when it saves space). */
export function huffmanEncode(input: Uint8Array): Uint8Array {
  let bits = 0;
  for (const b of input) bits += HUFFMAN_LENGTHS[b] ?? 0;
  const out = new Uint8Array(Math.ceil(bits / 8));
  let pos = 0;
  for (const b of input) {
    const code = HUFFMAN_CODES[b] ?? 0;
    const len = HUFFMAN_LENGTHS[b] ?? 0;
    for (let bit = len - 1; bit >= 0; bit--) {
      if (Math.floor(code / 2 ** bit) % 2 === 1) out[pos >> 3] = (out[pos >> 3] ?? 0) | (0x80 >> (pos & 7));
      pos++;
    }
  }
  // Pad with the most significant bits of EOS (all ones).
  while (pos & 7) {
    out[pos >> 3] = (out[pos >> 3] ?? 0) | (0x80 >> (pos & 7));
    pos++;
  }
  return out;
}

export function huffmanEncodedLength(input: Uint8Array): number {
  let bits = 0;
  for (const b of input) bits += HUFFMAN_LENGTHS[b] ?? 0;
  return Math.ceil(bits / 8);
}
