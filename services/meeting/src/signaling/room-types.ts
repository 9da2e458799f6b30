import type { ServerMessage } from '@darktower/protocol';
import type { DeliveryServiceOptions } from '@darktower/e2ee';
import type { Clock, ParticipantId } from '../ids.ts';
import type { ComputedLayout } from '../layout/layout-types.ts';
import type { HandlerRegistry } from '../routing/handler-registry.ts';
import type { AssignmentOptions } from '../routing/assign-handlers.ts';
import type { ActiveSpeakerOptions } from '../speaker/active-speaker-detector.ts';
import type { MeetingStore } from '../state/meeting-store.ts';
import type { ParticipantRecord } from '../state/records.ts';
import type { MediaHandlerGateway } from './media-gateway.ts';
import type { SpanTracing } from '../observability/spans.ts';

/** The room's handle on one participant's signaling session (implemented by ParticipantConnection). */
export interface ParticipantLink {
  /** Queues a message; never blocks the room. */
  send(message: ServerMessage): void;
  /** Ends the session after queued messages are flushed. */
  close(reason: string): void;
}

export interface RoomOptions {
  /** How long a disconnected participant's session survives for a resume (5 min). */
  readonly sessionTtlMs: number;
  /** Clients heartbeat this often (15 s); 2 intervals without one disconnect them. */
  readonly heartbeatIntervalMs: number;
  readonly mediaTokenTtlMs: number;
  /** How long an ended meeting is remembered (joins get NOT_FOUND "Meeting has ended"). */
  readonly endedMeetingTtlMs: number;
  readonly defaultMaxParticipants: number;
  readonly maxStreamsPerParticipant: number;
  readonly maxSubscriptionsPerParticipant: number;
  /** Deadline of one media handler RPC. */
  readonly rpcTimeoutMs: number;
  readonly assignment: AssignmentOptions;
  readonly speaker: Partial<ActiveSpeakerOptions>;
  /** MLS Delivery Service timings (tests shorten them); defaults: rotation 1 h, request 10 s, welcome 15 s. */
  readonly mls?: Pick<DeliveryServiceOptions, 'rotationIntervalMs' | 'requestTimeoutMs' | 'welcomeTimeoutMs'>;
}

export const defaultRoomOptions: RoomOptions = {
  sessionTtlMs: 5 * 60_000,
  heartbeatIntervalMs: 15_000,
  mediaTokenTtlMs: 60_000,
  endedMeetingTtlMs: 60 * 60_000,
  defaultMaxParticipants: 100,
  maxStreamsPerParticipant: 16,
  maxSubscriptionsPerParticipant: 256,
  rpcTimeoutMs: 5_000,
  assignment: { coLocateMaxLoad: 0.8, redundancy: 2 },
  speaker: {},
};

/** Structured logger (pino-compatible subset). */
export interface RoomLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface RoomDeps {
  readonly controllerId: string;
  readonly clock: Clock;
  readonly store: MeetingStore;
  readonly media: MediaHandlerGateway;
  readonly handlers: HandlerRegistry;
  readonly options: RoomOptions;
  readonly log: RoomLogger;
  /** Spans of the join flow (children of join_request_processing). */
  readonly tracing?: SpanTracing;
}

export interface Member {
  record: ParticipantRecord;
  /** Set while the participant's signaling session is on this controller. */
  link: ParticipantLink | undefined;
  layout: ComputedLayout | undefined;
  layoutVersion: number;
  lastPersistAt: number;
}

export const isConnected = (m: Member): m is Member & { link: ParticipantLink } => m.link !== undefined;

export type MemberMap = Map<ParticipantId, Member>;
