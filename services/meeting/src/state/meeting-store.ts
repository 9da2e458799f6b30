import type { MeetingId, ParticipantId } from '../ids.ts';
import type { MeetingRecord, ParticipantRecord, StoredRoutingPlan } from './records.ts';

/**
 * Meeting state shared by controller instances. Participants live under a TTL that presence refreshes, so a
 * session nobody resumes disappears on its own; join token ids are claimed once for their lifetime.
 */
export interface MeetingStore extends AsyncDisposable {
  getMeeting(meetingId: MeetingId, signal?: AbortSignal): Promise<MeetingRecord | undefined>;
  /** Stores the meeting; `ttlMs` (ended meetings) makes the record expire. */
  putMeeting(record: MeetingRecord, ttlMs?: number): Promise<void>;
  /** Creates the meeting unless it exists; returns whichever record is stored. */
  createMeeting(record: MeetingRecord): Promise<MeetingRecord>;

  getParticipant(meetingId: MeetingId, participantId: ParticipantId): Promise<ParticipantRecord | undefined>;
  putParticipant(record: ParticipantRecord, ttlMs: number): Promise<void>;
  /** Every participant whose record has not expired, in join order. */
  listParticipants(meetingId: MeetingId, signal?: AbortSignal): Promise<ParticipantRecord[]>;
  removeParticipant(meetingId: MeetingId, participantId: ParticipantId): Promise<void>;

  getRoutingPlan(meetingId: MeetingId): Promise<StoredRoutingPlan | undefined>;
  putRoutingPlan(meetingId: MeetingId, plan: StoredRoutingPlan): Promise<void>;

  /**
   * The meeting's MLS Delivery Service state (DeliveryServiceCore.exportState: public data only), so a controller
   * taking the meeting over continues its group.
   */
  getMlsState(meetingId: MeetingId): Promise<string | undefined>;
  putMlsState(meetingId: MeetingId, state: string): Promise<void>;

  /** Claims a join token id for `ttlMs`; false when it was already claimed (a replay). */
  claimTokenId(tokenId: string, ttlMs: number): Promise<boolean>;

  /** Round trip to the backing store (for /ready and the Redis latency metric). */
  ping(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
