// RFC 9605 section 4.3: the SFrame header.
//   config byte: X(1) K(3) Y(1) C(3)
//   X=0: K is the KID (0..7); X=1: K+1 bytes of KID follow.
//   Y=0: C is the CTR (0..7); Y=1: C+1 bytes of CTR follow (after the KID bytes).
// KID and CTR are unsigned 64-bit, big-endian, minimal length.
import { SframeError } from './sframe-error.ts';

export interface SframeHeader {
  kid: bigint;
  ctr: bigint;
}

const MAX_U64 = (1n << 64n) - 1n;

function byteLength(value: bigint): number {
  let n = 1;
  while (value >> BigInt(8 * n) > 0n) n++;
  return n;
}

function writeBigEndian(out: Uint8Array, offset: number, value: bigint, length: number): void {
  for (let i = length - 1; i >= 0; i--) {
    out[offset + i] = Number(value & 0xffn);
    value >>= 8n;
  }
}

function readBigEndian(bytes: Uint8Array, offset: number, length: number): bigint {
  let value = 0n;
  for (let i = 0; i < length; i++) value = (value << 8n) | BigInt(bytes[offset + i] ?? 0);
  return value;
}

export function encodeSframeHeader(header: SframeHeader): Uint8Array {
  const { kid, ctr } = header;
  if (kid < 0n || kid > MAX_U64) throw SframeError.malformedHeader('KID out of range');
  if (ctr < 0n || ctr > MAX_U64) throw SframeError.malformedHeader('CTR out of range');
  const kidLen = kid < 8n ? 0 : byteLength(kid);
  const ctrLen = ctr < 8n ? 0 : byteLength(ctr);
  const out = new Uint8Array(1 + kidLen + ctrLen);
  const k = kidLen === 0 ? Number(kid) : 0x80 | ((kidLen - 1) << 4);
  const c = ctrLen === 0 ? Number(ctr) : 0x08 | (ctrLen - 1);
  out[0] = kidLen === 0 ? (k << 4) | c : k | c;
  if (kidLen > 0) writeBigEndian(out, 1, kid, kidLen);
  if (ctrLen > 0) writeBigEndian(out, 1 + kidLen, ctr, ctrLen);
  return out;
}

/** Parses the header at the start of `bytes`; returns it and its encoded length. */
export function decodeSframeHeader(bytes: Uint8Array): SframeHeader & { length: number } {
  const config = bytes[0];
  if (config === undefined) throw SframeError.malformedHeader('empty input');
  const x = (config & 0x80) !== 0;
  const k = (config >> 4) & 0x07;
  const y = (config & 0x08) !== 0;
  const c = config & 0x07;
  const kidLen = x ? k + 1 : 0;
  const ctrLen = y ? c + 1 : 0;
  const length = 1 + kidLen + ctrLen;
  if (bytes.byteLength < length) throw SframeError.malformedHeader('truncated');
  const kid = x ? readBigEndian(bytes, 1, kidLen) : BigInt(k);
  const ctr = y ? readBigEndian(bytes, 1 + kidLen, ctrLen) : BigInt(c);
  return { kid, ctr, length };
}
