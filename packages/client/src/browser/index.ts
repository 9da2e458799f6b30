// @darktower/client/browser: capture, encode (WebCodecs), decode and render. Uses DOM and WebCodecs globals.
export { AudioSender, audioLevelOf } from './audio-sender.ts';
export { VideoSender, type VideoSenderOptions } from './video-sender.ts';
export { RemoteAudio } from './remote-audio.ts';
export { RemoteVideo, type VideoRenderStats } from './remote-video.ts';
export { RemoteMedia, type RemoteMediaEvents, type VideoTile } from './remote-media.ts';
export { LocalMedia, type LocalMediaOptions } from './local-media.ts';
export {
  SimulcastVideoSender,
  type LayerSenderStats,
  type SimulcastSenderOptions,
} from './simulcast-sender.ts';
export { browserSupport, videoCodecSupport, webCodecsVideoCodec } from './webcodecs-types.ts';
export { warmUpCodecProbes } from './codec-probe.ts';
