// @darktower/media: the Media Handler (SFU).

// The deployable
export {
  buildMediaHandler,
  type BuildOptions,
  type MediaHandler,
  type MediaHandlerAddresses,
} from './service/build-media-handler.ts';
export { loadMediaConfig, mediaConfigSchema, type MediaConfig } from './service/config.ts';
export { jwtServiceTokens, sharedSecretServiceTokens } from './service/service-tokens.ts';

// The transport-neutral handler and its parts
export { MediaHandlerCore, type Dialer, type MediaHandlerCoreOptions } from './media-handler.ts';
export { isServiceToken, type ServiceTokenVerifier } from './auth.ts';
export { systemClock, type Clock } from './clock.ts';
export { MediaError, isMediaError, WIRE_CODE, type MediaErrorCode, type WireCode } from './errors.ts';
export type { HandlerId, MeetingId, ParticipantId, StreamId, Micros } from './ids.ts';
export { Forwarder, type ForwarderOptions, type RouteOptions } from './core/forwarder.ts';
export { SubscriberOutput, type OutputCounters, type OutputLimits } from './core/subscriber-output.ts';
export type { ForwardFrame, FrameKind, FrameSink } from './core/frame.ts';
export type {
  Destination,
  EgressEndpoint,
  EgressStreamSpec,
  PublisherHandle,
  StreamInfo,
} from './core/destination.ts';
export { KeyframeLimiter } from './core/keyframe-limiter.ts';
export { LayerSwitch, selectLayer, type LayerInfo } from './core/simulcast.ts';
export { StreamStats, type StreamStatsSnapshot } from './core/stream-stats.ts';
export { CapacityMeter, type CapacityLevel, type CapacityOptions } from './core/capacity.ts';
export { ConnectionTokenStore, type ConnectionGrant, type MintedToken } from './core/token-store.ts';
export { MediaConnection, type ConnectionLimits, type Peer } from './session/media-connection.ts';

// A real media client for tests, bots and benchmarks
export {
  MediaBot,
  BotPublisher,
  wallClockUs,
  type MediaBotOptions,
  type ReceivedFrame,
} from './testing/media-bot.ts';
