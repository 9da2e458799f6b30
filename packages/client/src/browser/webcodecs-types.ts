// Chromium's insertable-streams constructors, typed here because lib.dom lacks them.
export type TrackProcessorCtor = new <T>(init: { track: MediaStreamTrack; maxBufferSize?: number }) => {
  readonly readable: ReadableStream<T>;
};
export type TrackGeneratorCtor = new (init: {
  kind: 'audio' | 'video';
}) => MediaStreamTrack & { readonly writable: WritableStream<VideoFrame | AudioData> };

export function trackProcessor(): TrackProcessorCtor {
  const ctor = (globalThis as { MediaStreamTrackProcessor?: TrackProcessorCtor }).MediaStreamTrackProcessor;
  if (ctor === undefined) throw new Error('MediaStreamTrackProcessor is not available');
  return ctor;
}

export function trackGenerator(): TrackGeneratorCtor {
  const ctor = (globalThis as { MediaStreamTrackGenerator?: TrackGeneratorCtor }).MediaStreamTrackGenerator;
  if (ctor === undefined) throw new Error('MediaStreamTrackGenerator is not available');
  return ctor;
}

/** WebCodecs codec strings for our codec names / FourCCs. */
export function webCodecsVideoCodec(codec: string): string {
  switch (codec.toUpperCase()) {
    case 'VP9':
    case 'VP09':
      return 'vp09.00.10.08';
    case 'AV1':
    case 'AV01':
      return 'av01.0.04M.08';
    case 'H264':
      return 'avc1.42001f';
    default:
      return 'vp8';
  }
}

let support: Promise<string[]> | undefined;

/**
 * What the browser can decode and encode, for JoinRequest capabilities (VP8 first: the default). The codecs are
 * probed side by side, once per page (the answer does not change); call it early (e.g. on the pre-join page) and
 * the join does not wait for it.
 */
export function videoCodecSupport(): Promise<string[]> {
  support ??= Promise.all(
    ['VP8', 'VP9', 'AV1', 'H264'].map(async (name) => {
      const codec = webCodecsVideoCodec(name);
      try {
        const [enc, dec] = await Promise.all([
          VideoEncoder.isConfigSupported({ codec, width: 640, height: 480 }),
          VideoDecoder.isConfigSupported({ codec }),
        ]);
        return enc.supported === true && dec.supported === true ? [name] : [];
      } catch {
        return []; // not supported
      }
    }),
  ).then((found) => found.flat());
  return support;
}

/** True when this browser has what the client needs (WebCodecs and insertable streams). */
export function browserSupport(): { ok: boolean; missing: string[] } {
  const g = globalThis as Record<string, unknown>;
  const missing = [
    'VideoEncoder',
    'VideoDecoder',
    'AudioEncoder',
    'AudioDecoder',
    'MediaStreamTrackProcessor',
  ].filter((name) => typeof g[name] !== 'function');
  return { ok: missing.length === 0, missing };
}
