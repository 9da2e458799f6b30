// MeetingStore on @darktower/data's KeyValueStore: Redis when controllers share state, memory otherwise.
// Layout under the store's prefix:
//   meeting:<meetingId>                 JSON MeetingRecord (TTL once ended)
//   participant:<meetingId>:<pid>       JSON ParticipantRecord, TTL = session TTL (presence refreshes it)
//   participants:<meetingId>            set of participant ids (index; expired members are pruned on read)
//   plan:<meetingId>                    JSON StoredRoutingPlan
//   mls:<meetingId>                     the MLS Delivery Service state (exported by DeliveryServiceCore)
//   jti:<tokenId>                       join token claims (SET NX with the token's remaining lifetime)
import type { KeyValueStore } from '@darktower/data';
import type { MeetingId, ParticipantId } from '../ids.ts';
import type { MeetingStore } from './meeting-store.ts';
import type { MeetingRecord, ParticipantRecord, StoredRoutingPlan } from './records.ts';

const INDEX_TTL_MS = 24 * 3_600_000;

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- T names what the check vouched for
function parse<T>(raw: string | undefined, check: (v: Record<string, unknown>) => boolean): T | undefined {
  if (raw === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null || !check(value as Record<string, unknown>))
      return undefined;
    return value as T;
  } catch {
    return undefined; // an unreadable record counts as absent; the next write replaces it
  }
}

const isMeeting = (v: Record<string, unknown>): boolean =>
  (v.state === 'active' || v.state === 'ended') && typeof v.meetingId === 'string';
const isParticipant = (v: Record<string, unknown>): boolean =>
  typeof v.participantId === 'string' && typeof v.meetingId === 'string' && Array.isArray(v.streams);
const isPlan = (v: Record<string, unknown>): boolean =>
  typeof v.version === 'number' && Array.isArray(v.routes);

export class KvMeetingStore implements MeetingStore {
  readonly #kv: KeyValueStore;
  readonly #owned: boolean;

  /** `owned`: close() also closes the key-value store. */
  constructor(kv: KeyValueStore, owned = true) {
    this.#kv = kv;
    this.#owned = owned;
  }

  async getMeeting(meetingId: MeetingId): Promise<MeetingRecord | undefined> {
    return parse<MeetingRecord>(await this.#kv.get(`meeting:${meetingId}`), isMeeting);
  }

  async putMeeting(record: MeetingRecord, ttlMs?: number): Promise<void> {
    await this.#kv.set(
      `meeting:${record.meetingId}`,
      JSON.stringify(record),
      ttlMs === undefined ? {} : { ttlMs },
    );
  }

  async createMeeting(record: MeetingRecord): Promise<MeetingRecord> {
    if (await this.#kv.setIfAbsent(`meeting:${record.meetingId}`, JSON.stringify(record))) return record;
    return (await this.getMeeting(record.meetingId)) ?? record;
  }

  async getParticipant(
    meetingId: MeetingId,
    participantId: ParticipantId,
  ): Promise<ParticipantRecord | undefined> {
    return parse<ParticipantRecord>(
      await this.#kv.get(`participant:${meetingId}:${participantId}`),
      isParticipant,
    );
  }

  async putParticipant(record: ParticipantRecord, ttlMs: number): Promise<void> {
    // Issued together: the client pipelines them (one round trip per join and presence refresh, not three), and
    // Redis still runs them in this order on the connection.
    const index = `participants:${record.meetingId}`;
    await Promise.all([
      this.#kv.set(`participant:${record.meetingId}:${record.participantId}`, JSON.stringify(record), {
        ttlMs,
      }),
      this.#kv.sadd(index, record.participantId),
      this.#kv.expire(index, Math.max(INDEX_TTL_MS, ttlMs)),
    ]);
  }

  async listParticipants(meetingId: MeetingId, signal?: AbortSignal): Promise<ParticipantRecord[]> {
    const index = `participants:${meetingId}`;
    const ids = await this.#kv.smembers(index);
    const out: ParticipantRecord[] = [];
    const stale: string[] = [];
    for (const id of ids) {
      signal?.throwIfAborted();
      const record = parse<ParticipantRecord>(
        await this.#kv.get(`participant:${meetingId}:${id}`),
        isParticipant,
      );
      if (record === undefined) stale.push(id);
      else out.push(record);
    }
    if (stale.length > 0) await this.#kv.srem(index, ...stale);
    out.sort((a, b) => a.joinedAt - b.joinedAt || (a.participantId < b.participantId ? -1 : 1));
    return out;
  }

  async removeParticipant(meetingId: MeetingId, participantId: ParticipantId): Promise<void> {
    await Promise.all([
      this.#kv.del(`participant:${meetingId}:${participantId}`),
      this.#kv.srem(`participants:${meetingId}`, participantId),
    ]);
  }

  async getRoutingPlan(meetingId: MeetingId): Promise<StoredRoutingPlan | undefined> {
    return parse<StoredRoutingPlan>(await this.#kv.get(`plan:${meetingId}`), isPlan);
  }

  async putRoutingPlan(meetingId: MeetingId, plan: StoredRoutingPlan): Promise<void> {
    await this.#kv.set(
      `plan:${meetingId}`,
      JSON.stringify({ version: plan.version, publish: plan.publish, routes: plan.routes }),
      { ttlMs: INDEX_TTL_MS },
    );
  }

  async getMlsState(meetingId: MeetingId): Promise<string | undefined> {
    return this.#kv.get(`mls:${meetingId}`);
  }

  async putMlsState(meetingId: MeetingId, state: string): Promise<void> {
    await this.#kv.set(`mls:${meetingId}`, state, { ttlMs: INDEX_TTL_MS });
  }

  claimTokenId(tokenId: string, ttlMs: number): Promise<boolean> {
    return this.#kv.setIfAbsent(`jti:${tokenId}`, '1', { ttlMs: Math.max(1, Math.ceil(ttlMs)) });
  }

  ping(signal?: AbortSignal): Promise<void> {
    return this.#kv.ping(signal);
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#kv.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
