// @darktower/client: the transport-neutral core (runs in browsers and Node). Browser media (WebCodecs, DOM) is in
// @darktower/client/browser.
export { ClientError, isClientError, type ClientErrorCode } from './core/client-error.ts';
export { Emitter, type EventMap, type Listener } from './core/emitter.ts';
export { Scope } from './core/scope.ts';
export { anySignal, sleep, withDeadline } from './core/abort.ts';
export {
  traceContextTracer,
  type ClientSpan,
  type ClientTracer,
  type FinishedClientSpan,
} from './core/tracing.ts';
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
export {
  SimulcastPublication,
  type PublishedLayer,
  type SimulcastLayerOptions,
} from './media/simulcast-publication.ts';
export {
  layerForSlot,
  simulcastLadder,
  type LadderSource,
  type SimulcastLayerSpec,
} from './media/simulcast-ladder.ts';
export {
  chooseVideoCodec,
  DEFAULT_VIDEO_CODEC_PREFERENCE,
  videoCodecName,
  type VideoCodecName,
} from './media/codec-choice.ts';
export { SlotLayerPreferences, type SlotLayerHost, type SlotSize } from './media/slot-layers.ts';
export {
  BitrateController,
  type BitrateControllerOptions,
  type BitrateLayer,
  type LayerTarget,
  type TransportSample,
} from './media/bitrate-controller.ts';
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
  RemoteLayerInfo,
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
export {
  MeetingE2ee,
  type E2eeMode,
  type MeetingE2eeEvents,
  type MeetingE2eeOptions,
} from './e2ee/meeting-e2ee.ts';
export {
  E2eeSession,
  type E2eeDroppedFrame,
  type E2eePort,
  type E2eeSessionEvents,
  type E2eeSessionOptions,
  type E2eeState,
  type E2eeStats,
} from './e2ee/e2ee-session.ts';
export {
  E2EE_DROP_REASONS,
  dropReasonOf,
  type E2eeDecryptedFrame,
  type E2eeDropReason,
  type E2eeKeyring,
} from './e2ee/e2ee-keyring.ts';
export { WorkerKeyring, KeyringWorkerError } from './e2ee/worker-keyring.ts';
export { serveE2eeKeyring } from './e2ee/keyring-worker.ts';
export type { KeyringPort, KeyringWorkerInit } from './e2ee/keyring-messages.ts';
export { JoinPreparation, type JoinPreparationOptions } from './meeting/join-preparation.ts';
