// @darktower/media: the Media Handler (SFU).
export {
  buildMediaHandler,
  type BuildOptions,
  type MediaHandler,
  type MediaHandlerAddresses,
} from './service/build-media-handler.ts';
export { loadMediaConfig, mediaConfigSchema, type MediaConfig } from './service/config.ts';
