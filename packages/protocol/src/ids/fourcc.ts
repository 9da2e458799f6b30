import { ProtocolError } from '../errors/protocol-error.ts';

declare const fourCCBrand: unique symbol;

/** A four-character code naming a codec in the media stream header: 4 printable ASCII characters (0x20..0x7e). */
export type FourCC = string & { readonly [fourCCBrand]: true };

/** The codecs Dark Tower sends. Other printable codes decode too (forwarding does not need to know the codec). */
export const KnownFourCC = {
  VP8: 'VP08' as FourCC,
  VP9: 'VP09' as FourCC,
  AV1: 'AV01' as FourCC,
  H264: 'H264' as FourCC,
  Opus: 'OPUS' as FourCC,
} as const;

/** Validates a 4-character printable ASCII string; throws INVALID_FOURCC. */
export function parseFourCC(input: string): FourCC {
  if (input.length !== 4)
    throw ProtocolError.invalidFourCC(`${JSON.stringify(input.slice(0, 16))} is not 4 characters`);
  for (let i = 0; i < 4; i++) {
    const c = input.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw ProtocolError.invalidFourCC(`non-printable character at ${i}`);
  }
  return input as FourCC;
}

/** Reads 4 bytes at `offset`; throws INVALID_FOURCC if any is not printable ASCII. */
export function readFourCC(bytes: Uint8Array, offset = 0): FourCC {
  if (offset < 0 || offset + 4 > bytes.length)
    throw ProtocolError.truncated('FourCC', 4, bytes.length - offset);
  let s = '';
  for (let i = 0; i < 4; i++) {
    const c = bytes[offset + i] ?? 0;
    if (c < 0x20 || c > 0x7e)
      throw ProtocolError.invalidFourCC(`byte 0x${c.toString(16)} at ${i} is not printable`);
    s += String.fromCharCode(c);
  }
  return s as FourCC;
}

/** Writes `code` as 4 ASCII bytes at `offset`. */
export function writeFourCC(code: FourCC, target: Uint8Array, offset = 0): void {
  if (offset < 0 || offset + 4 > target.length) throw ProtocolError.invalidArgument('FourCC does not fit');
  for (let i = 0; i < 4; i++) target[offset + i] = code.charCodeAt(i);
}

/**
 * The FourCC for a codec name as used in ParticipantCapabilities / StreamMetadata.codec ("VP9", "AV1", "H264",
 * "Opus", case-insensitive), or for a WebCodecs codec string ("vp09.00.10.08", "av01.0.04M.08", "avc1.42E01F",
 * "opus", "vp8"). Undefined for codecs without a Dark Tower FourCC.
 */
export function fourCCForCodec(codec: string): FourCC | undefined {
  const c = codec.toLowerCase();
  if (c === 'vp8' || c === 'vp08') return KnownFourCC.VP8;
  if (c === 'vp9' || c === 'vp09' || c.startsWith('vp09.')) return KnownFourCC.VP9;
  if (c === 'av1' || c === 'av01' || c.startsWith('av01.')) return KnownFourCC.AV1;
  if (c === 'h264' || c === 'avc' || c.startsWith('avc1.') || c.startsWith('avc3.')) return KnownFourCC.H264;
  if (c === 'opus') return KnownFourCC.Opus;
  return undefined;
}
