// @darktower/client: the transport-neutral core (runs in browsers and Node). Browser media (WebCodecs, DOM) is in
// @darktower/client/browser.
export { ClientError, isClientError, type ClientErrorCode } from './core/client-error.ts';
export { Emitter, type EventMap, type Listener } from './core/emitter.ts';
export { Scope } from './core/scope.ts';
export { anySignal, sleep, withDeadline } from './core/abort.ts';
export {
  DarkTowerApi,
  type ApiOptions,
  type CreatedMeeting,
  type JoinGrant,
  type MeetingInfo,
} from './api/darktower-api.ts';
export {
  SignalingClient,
  type SignalingEvents,
  type SignalingOptions,
} from './signaling/signaling-client.ts';
export type { SignalingState } from './signaling/signaling-state.ts';
export {
  MediaConnection,
  type MediaConnectionEvents,
  type MediaConnectionOptions,
  type ReceivedFrame,
} from './media/media-connection.ts';
export type { MediaState } from './media/media-state.ts';
export {
  LocalMediaStream,
  type EncodedMediaFrame,
  type LocalMediaStreamStats,
} from './media/local-media-stream.ts';
export { identityTransform, type FrameMeta, type FrameTransform } from './media/frame-transform.ts';
export { Reassembler, type WholeFrame } from './media/reassembler.ts';
export { JitterBuffer, PlayoutClock, type BufferedFrame } from './media/jitter-buffer.ts';
export { Meeting, type MeetingOptions, type PublishOptions } from './meeting/meeting.ts';
export { LocalPublication, type PublicationEvents } from './meeting/local-publication.ts';
export type {
  Connector,
  LayoutSlotView,
  LayoutSpec,
  LeftReason,
  MediaKind,
  MeetingEvents,
  MeetingState,
  RemoteFrame,
  RemoteParticipant,
  RemoteStreamInfo,
} from './meeting/meeting-types.ts';
export { webConnector, webSocketUrlFor, type WebConnectorOptions } from './meeting/connectors.ts';
export {
  readSyntheticPayload,
  SYNTHETIC_HEADER_BYTES,
  SyntheticSource,
  syntheticPayload,
  type SyntheticFrameInfo,
  type SyntheticSourceOptions,
} from './synthetic/synthetic-frames.ts';
