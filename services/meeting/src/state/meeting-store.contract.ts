// The one contract every MeetingStore implementation passes (memory here, Redis in kv-meeting-store.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HandlerId, MeetingId, ParticipantId, StreamId } from '../ids.ts';
import type { MeetingStore } from './meeting-store.ts';
import type { MeetingRecord, ParticipantRecord } from './records.ts';

export interface StoreFixture {
  readonly store: MeetingStore;
  /** Lets `ms` pass for TTLs (a manual clock, or real waiting). */
  readonly advance: (ms: number) => Promise<void>;
  /** A TTL short enough to wait out with `advance`. */
  readonly shortTtlMs: number;
}

export function meeting(id: string): MeetingRecord {
  return {
    state: 'active',
    meetingId: MeetingId(id),
    config: { displayName: 'Standup', maxParticipants: 10, enableE2ee: true, recordingEnabled: false },
    createdAt: 1,
  };
}

export function participant(meetingId: string, id: string, joinedAt: number): ParticipantRecord {
  return {
    participantId: ParticipantId(id),
    meetingId: MeetingId(meetingId),
    userId: `user-${id}`,
    displayName: id,
    role: 'participant',
    joinedAt,
    streams: [
      {
        streamId: StreamId(`${id}-cam`),
        kind: 'camera',
        codec: 'VP9',
        maxBitrate: 1_000_000,
        width: 640,
        height: 480,
        framerate: 30,
        muted: false,
      },
    ],
    subscriptions: [],
    layout: null,
    audioMuted: false,
    videoMuted: false,
    handlers: [HandlerId('mh1')],
    resumeTokenHash: 'ab'.repeat(32),
    connection: { state: 'connected', controllerId: 'mc1', since: joinedAt },
  };
}

export function meetingStoreContract(name: string, open: () => Promise<StoreFixture>): void {
  test(`${name}: meetings are created once and end with a TTL`, async () => {
    const { store, advance, shortTtlMs } = await open();
    await using _ = store;
    const m = meeting('m1');
    assert.deepEqual(await store.createMeeting(m), m);
    assert.deepEqual(await store.createMeeting({ ...m, createdAt: 99 }), m);
    assert.deepEqual(await store.getMeeting(MeetingId('m1')), m);
    assert.equal(await store.getMeeting(MeetingId('nope')), undefined);
    await store.putMeeting({ ...m, state: 'ended', endedAt: 5, reason: 'host ended' }, shortTtlMs);
    assert.equal((await store.getMeeting(MeetingId('m1')))?.state, 'ended');
    await advance(shortTtlMs * 3);
    assert.equal(await store.getMeeting(MeetingId('m1')), undefined);
  });

  test(`${name}: participants round-trip, list in join order, expire with their TTL`, async () => {
    const { store, advance, shortTtlMs } = await open();
    await using _ = store;
    const b = participant('m1', 'b', 20);
    const a = participant('m1', 'a', 10);
    await store.putParticipant(b, 60_000);
    await store.putParticipant(a, shortTtlMs);
    await store.putParticipant(participant('m2', 'c', 5), 60_000);
    assert.deepEqual(await store.getParticipant(MeetingId('m1'), ParticipantId('a')), a);
    assert.deepEqual(
      (await store.listParticipants(MeetingId('m1'))).map((p) => p.participantId),
      ['a', 'b'],
    );
    await advance(shortTtlMs * 3);
    assert.deepEqual(
      (await store.listParticipants(MeetingId('m1'))).map((p) => p.participantId),
      ['b'],
    );
    assert.equal(await store.getParticipant(MeetingId('m1'), ParticipantId('a')), undefined);
    await store.removeParticipant(MeetingId('m1'), ParticipantId('b'));
    assert.deepEqual(await store.listParticipants(MeetingId('m1')), []);
    assert.equal((await store.listParticipants(MeetingId('m2'))).length, 1);
  });

  test(`${name}: routing plans round-trip; token ids are single use until they expire`, async () => {
    const { store, advance, shortTtlMs } = await open();
    await using _ = store;
    const plan = {
      version: 3,
      publish: [{ streamId: StreamId('s'), publisher: ParticipantId('a'), handlerId: HandlerId('mh1') }],
      routes: [
        {
          handlerId: HandlerId('mh1'),
          sourceStreamId: StreamId('s'),
          sourceParticipantId: ParticipantId('a'),
          destination: { kind: 'remote' as const, handlerId: HandlerId('mh2') },
        },
      ],
    };
    assert.equal(await store.getRoutingPlan(MeetingId('m1')), undefined);
    await store.putRoutingPlan(MeetingId('m1'), plan);
    assert.deepEqual(await store.getRoutingPlan(MeetingId('m1')), plan);
    assert.equal(await store.getMlsState(MeetingId('m1')), undefined);
    await store.putMlsState(MeetingId('m1'), '{"v":1}');
    await store.putMlsState(MeetingId('m1'), '{"v":1,"epoch":{"$n":"2"}}');
    assert.equal(await store.getMlsState(MeetingId('m1')), '{"v":1,"epoch":{"$n":"2"}}');
    assert.equal(await store.getMlsState(MeetingId('m2')), undefined);
    assert.equal(await store.claimTokenId('jti-1', shortTtlMs), true);
    assert.equal(await store.claimTokenId('jti-1', shortTtlMs), false);
    assert.equal(await store.claimTokenId('jti-2', shortTtlMs), true);
    await advance(shortTtlMs * 3);
    assert.equal(await store.claimTokenId('jti-1', shortTtlMs), true);
    await store.ping();
  });
}
