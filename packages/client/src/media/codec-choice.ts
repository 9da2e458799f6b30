// Which video codec a publisher encodes with: the first of its preference list that it can encode and every other
// participant can decode (Participant.video_codecs). VP8 is the floor every client decodes.

export type VideoCodecName = 'VP8' | 'VP9' | 'AV1' | 'H264';

/**
 * VP9 first: it saves about a third of VP8's bits at the same quality and its realtime software encoder is cheap
 * enough for three simulcast layers on a laptop; AV1 saves more but costs several times the CPU in software; H.264
 * is often hardware-only (and missing from free builds).
 */
export const DEFAULT_VIDEO_CODEC_PREFERENCE: readonly VideoCodecName[] = ['VP9', 'AV1', 'H264', 'VP8'];

/** Our name for a codec name, FourCC or WebCodecs string; undefined when it is not a video codec we know. */
export function videoCodecName(codec: string): VideoCodecName | undefined {
  const c = codec.trim().toUpperCase();
  if (c === 'VP8' || c === 'VP08') return 'VP8';
  if (c === 'VP9' || c === 'VP09' || c.startsWith('VP09.')) return 'VP9';
  if (c === 'AV1' || c === 'AV01' || c.startsWith('AV01.')) return 'AV1';
  if (c === 'H264' || c === 'H.264' || c === 'AVC1' || c.startsWith('AVC1.') || c === 'AVC') return 'H264';
  return undefined;
}

/**
 * `local`: what this client can encode (and decode). `remotes`: what each other participant decodes; an empty list
 * (a client that said nothing) counts as VP8 only.
 */
export function chooseVideoCodec(
  local: readonly string[],
  remotes: readonly (readonly string[])[],
  preference: readonly VideoCodecName[] = DEFAULT_VIDEO_CODEC_PREFERENCE,
): VideoCodecName {
  const mine = new Set(local.map(videoCodecName));
  const theirs = remotes.map((r) => (r.length === 0 ? new Set(['VP8']) : new Set(r.map(videoCodecName))));
  for (const codec of preference) {
    if (mine.has(codec) && theirs.every((t) => t.has(codec))) return codec;
  }
  return 'VP8';
}
