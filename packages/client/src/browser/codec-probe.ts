// Which video codecs this browser encodes in hardware (VideoEncoder.isConfigSupported with
// hardwareAcceleration 'prefer-hardware'): those cost the CPU little, so they go first in LocalMedia's default
// preference; software VP9/AV1/H.264 only when the app asks for them (three simulcast layers of software VP9 took
// about twice the CPU of VP8 in the Chromium tests here).
import type { VideoCodecName } from '../media/codec-choice.ts';
import { videoCodecSupport, webCodecsVideoCodec } from './webcodecs-types.ts';

const probed = new Map<string, Promise<VideoCodecName[]>>();

/** Probed side by side, once per page and candidate list (the answer does not change). */
export function hardwareVideoCodecs(
  candidates: readonly VideoCodecName[] = ['VP9', 'AV1', 'H264', 'VP8'],
): Promise<VideoCodecName[]> {
  const key = candidates.join(',');
  let found = probed.get(key);
  if (found === undefined) {
    found = Promise.all(
      candidates.map(async (name) => {
        try {
          const r = await VideoEncoder.isConfigSupported({
            codec: webCodecsVideoCodec(name),
            width: 640,
            height: 480,
            hardwareAcceleration: 'prefer-hardware',
          });
          return r.supported === true ? [name] : [];
        } catch {
          return []; // not supported
        }
      }),
    ).then((r) => r.flat());
    probed.set(key, found);
  }
  return found;
}

/** Hardware codecs first (in `preference` order), then VP8, then the rest. */
export function costAwarePreference(
  hardware: readonly VideoCodecName[],
  preference: readonly VideoCodecName[],
): VideoCodecName[] {
  const hw = preference.filter((c) => hardware.includes(c));
  const rest = preference.filter((c) => !hw.includes(c) && c !== 'VP8');
  return [...hw, ...(hw.includes('VP8') ? [] : ['VP8' as const]), ...rest];
}

/**
 * Starts the codec probes a join needs (capabilities, and the camera's codec choice) ahead of it, e.g. while the
 * pre-join page is shown: both are cached, so the join itself does not wait for them.
 */
export function warmUpCodecProbes(): void {
  void videoCodecSupport().catch(() => undefined);
  void hardwareVideoCodecs().catch(() => undefined);
}
