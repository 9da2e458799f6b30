// In-process MeetingStore: what a single controller uses when no Redis is configured.
import type { Clock, MeetingId, ParticipantId } from '../ids.ts';
import type { MeetingStore } from './meeting-store.ts';
import type { MeetingRecord, ParticipantRecord, StoredRoutingPlan } from './records.ts';

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

const clone = <T>(value: T): T => structuredClone(value);

export class MemoryMeetingStore implements MeetingStore {
  readonly #clock: Clock;
  readonly #meetings = new Map<MeetingId, Expiring<MeetingRecord>>();
  readonly #participants = new Map<MeetingId, Map<ParticipantId, Expiring<ParticipantRecord>>>();
  readonly #plans = new Map<MeetingId, StoredRoutingPlan>();
  readonly #mls = new Map<MeetingId, string>();
  readonly #tokens = new Map<string, number>();
  #closed = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  #live<T>(entry: Expiring<T> | undefined): T | undefined {
    if (entry === undefined || entry.expiresAt <= this.#clock.now()) return undefined;
    return clone(entry.value);
  }

  #check(): void {
    if (this.#closed) throw new Error('meeting store is closed');
  }

  getMeeting(meetingId: MeetingId): Promise<MeetingRecord | undefined> {
    this.#check();
    return Promise.resolve(this.#live(this.#meetings.get(meetingId)));
  }

  putMeeting(record: MeetingRecord, ttlMs?: number): Promise<void> {
    this.#check();
    const expiresAt = ttlMs === undefined ? Number.POSITIVE_INFINITY : this.#clock.now() + ttlMs;
    this.#meetings.set(record.meetingId, { value: clone(record), expiresAt });
    return Promise.resolve();
  }

  async createMeeting(record: MeetingRecord): Promise<MeetingRecord> {
    const existing = await this.getMeeting(record.meetingId);
    if (existing !== undefined) return existing;
    await this.putMeeting(record);
    return clone(record);
  }

  getParticipant(meetingId: MeetingId, participantId: ParticipantId): Promise<ParticipantRecord | undefined> {
    this.#check();
    return Promise.resolve(this.#live(this.#participants.get(meetingId)?.get(participantId)));
  }

  putParticipant(record: ParticipantRecord, ttlMs: number): Promise<void> {
    this.#check();
    const byId =
      this.#participants.get(record.meetingId) ?? new Map<ParticipantId, Expiring<ParticipantRecord>>();
    this.#participants.set(record.meetingId, byId);
    byId.set(record.participantId, { value: clone(record), expiresAt: this.#clock.now() + ttlMs });
    return Promise.resolve();
  }

  listParticipants(meetingId: MeetingId): Promise<ParticipantRecord[]> {
    this.#check();
    const byId = this.#participants.get(meetingId);
    if (byId === undefined) return Promise.resolve([]);
    const out: ParticipantRecord[] = [];
    for (const [id, entry] of byId) {
      const value = this.#live(entry);
      if (value === undefined) byId.delete(id);
      else out.push(value);
    }
    out.sort((a, b) => a.joinedAt - b.joinedAt || (a.participantId < b.participantId ? -1 : 1));
    return Promise.resolve(out);
  }

  removeParticipant(meetingId: MeetingId, participantId: ParticipantId): Promise<void> {
    this.#check();
    this.#participants.get(meetingId)?.delete(participantId);
    return Promise.resolve();
  }

  getRoutingPlan(meetingId: MeetingId): Promise<StoredRoutingPlan | undefined> {
    this.#check();
    const plan = this.#plans.get(meetingId);
    return Promise.resolve(plan === undefined ? undefined : clone(plan));
  }

  putRoutingPlan(meetingId: MeetingId, plan: StoredRoutingPlan): Promise<void> {
    this.#check();
    this.#plans.set(meetingId, clone(plan));
    return Promise.resolve();
  }

  getMlsState(meetingId: MeetingId): Promise<string | undefined> {
    this.#check();
    return Promise.resolve(this.#mls.get(meetingId));
  }

  putMlsState(meetingId: MeetingId, state: string): Promise<void> {
    this.#check();
    this.#mls.set(meetingId, state);
    return Promise.resolve();
  }

  claimTokenId(tokenId: string, ttlMs: number): Promise<boolean> {
    this.#check();
    const now = this.#clock.now();
    const until = this.#tokens.get(tokenId);
    if (until !== undefined && until > now) return Promise.resolve(false);
    this.#tokens.set(tokenId, now + ttlMs);
    if (this.#tokens.size > 100_000) {
      // Bounded: sweep expired claims when the set grows.
      for (const [id, t] of this.#tokens) if (t <= now) this.#tokens.delete(id);
    }
    return Promise.resolve(true);
  }

  ping(): Promise<void> {
    this.#check();
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
