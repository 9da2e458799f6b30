// @darktower/meeting: the Meeting Controller. The deployable is `buildMeetingController(config)` (and main.ts); the
// transport-neutral core is exported for the CLI's all-in-one mode and for tests of other packages.
export {
  buildMeetingController,
  type MeetingController,
  type MeetingControllerAddresses,
} from './meeting-controller.ts';
export { loadMeetingConfig, meetingConfigSchema, type MeetingConfig } from './config.ts';
export { MeetingError, MeetingErrorCode, isMeetingError } from './errors.ts';
export {
  ControllerId,
  HandlerId,
  MeetingId,
  ParticipantId,
  SlotId,
  StreamId,
  systemClock,
  type Clock,
  type Millis,
} from './ids.ts';

export { computeLayout, slotCapacity } from './layout/compute-layout.ts';
export { applyLayoutDiff, diffLayouts, isEmptyDiff } from './layout/layout-diff.ts';
export * from './layout/layout-types.ts';
export {
  ActiveSpeakerDetector,
  defaultActiveSpeakerOptions,
  loudnessFromDbov,
  type ActiveSpeakerOptions,
  type SpeakerChange,
} from './speaker/active-speaker-detector.ts';
export {
  HandlerRegistry,
  type HandlerRegistration,
  type HandlerSnapshot,
} from './routing/handler-registry.ts';
export {
  assignHandlers,
  failover,
  type AssignmentOptions,
  type HandlerAssignment,
} from './routing/assign-handlers.ts';
export {
  buildRoutingPlan,
  cascades,
  type Demand,
  type Route,
  type RoutingPlan,
} from './routing/routing-plan.ts';
export { diffPlans, groupByHandler, type PlanDiff } from './routing/plan-diff.ts';

export type { MeetingStore } from './state/meeting-store.ts';
export { MemoryMeetingStore } from './state/memory-meeting-store.ts';
export { KvMeetingStore } from './state/kv-meeting-store.ts';
export { KvMeetingBus, type MeetingBus, type MeetingBusEvent } from './state/meeting-bus.ts';
export { RateLimiter } from './state/rate-limiter.ts';

export { SignalingService, type SignalingServiceDeps } from './signaling/signaling-service.ts';
export { SignalingCloseCode } from './signaling/close-codes.ts';
export { createJoinTokenVerifier, type JoinClaims, type JoinTokenVerifier } from './signaling/join-token.ts';
export type { MediaHandlerGateway } from './signaling/media-gateway.ts';
export { ConnectMediaGateway } from './rpc/connect-media-gateway.ts';
