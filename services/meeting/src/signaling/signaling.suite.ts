// End-to-end signaling scenarios over in-memory sessions, run against every MeetingStore implementation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ErrorCode, LeaveReason, SlotReason, StreamType } from '@darktower/protocol';
import { makeTestKey } from '@darktower/auth-verifier/testing';
import { MeetingId, ParticipantId, type Clock } from '../ids.ts';
import type { MeetingStore } from '../state/meeting-store.ts';
import { Harness, MH1, MH2, newStreamId } from '../testing/harness.ts';
import { expectKind, type SignalingClient } from '../testing/signaling-client.ts';

function errorCode(reply: { kind: { case?: string; value?: unknown } }): ErrorCode | undefined {
  return reply.kind.case === 'error' ? (reply.kind.value as { code: ErrorCode }).code : undefined;
}

async function publishCamera(client: SignalingClient, type = StreamType.VIDEO_CAMERA): Promise<string> {
  const streamId = newStreamId();
  const reply = await client.request({
    case: 'publish',
    value: {
      streamId,
      streamType: type,
      metadata: { codec: 'VP9', video: { width: 640, height: 480, framerate: 30 } },
    },
  });
  assert.equal(reply.kind.case, 'streamPublished', JSON.stringify(reply.kind.value));
  return streamId;
}

export function signalingSuite(name: string, openStore: (clock: Clock) => Promise<MeetingStore>): void {
  test(`${name}: join flow, presence of others, publish and subscribe`, async () => {
    await using h = await Harness.start(openStore);
    const meeting = randomUUID();
    const alice = await h.join(meeting, 'alice', 'host');
    assert.ok(alice.response.participantId.length > 0);
    assert.deepEqual(alice.response.existingParticipants, []);
    assert.deepEqual(
      alice.response.mediaServers.map((s) => s.handlerId),
      [MH1, MH2],
    );
    assert.ok(alice.response.mediaServers.every((s) => s.connectionToken.startsWith('token-')));
    assert.equal(alice.response.mediaServer?.handlerId, MH1);
    assert.equal(alice.response.heartbeatIntervalMs, 15_000);
    assert.equal(alice.response.sessionTtlMs, 300_000);
    assert.equal(alice.response.isHost, true);
    assert.ok(alice.response.resumeToken.length >= 32);

    const cam = await publishCamera(alice.client);
    const bob = await h.join(meeting, 'bob');
    assert.deepEqual(
      bob.response.existingParticipants.map((p) => [
        p.participantId,
        p.name,
        p.isHost,
        p.streams.map((s) => s.streamId),
      ]),
      [[alice.participantId, 'alice', true, [cam]]],
    );
    const joined = await alice.client.next('participantJoined');
    assert.equal(joined.participant?.participantId, bob.participantId);

    const ack = await bob.client.request({ case: 'subscribe', value: { streamId: cam } });
    assert.equal(ack.kind.case, 'subscriptionAck');
    assert.deepEqual(h.media.deliveredTo(bob.participantId), [`${cam}->${cam}`]);

    // Another stream published later is announced to Bob.
    const screen = await publishCamera(alice.client, StreamType.VIDEO_SCREEN);
    const announced = await bob.client.next('streamPublished');
    assert.deepEqual(
      [announced.stream?.streamId, announced.stream?.streamType],
      [screen, StreamType.VIDEO_SCREEN],
    );

    // Unknown stream ids, and ids of another meeting's streams, are NOT_FOUND.
    const other = await h.join(randomUUID(), 'eve');
    const foreign = await publishCamera(other.client);
    for (const streamId of [foreign, randomUUID(), 'not-a-uuid']) {
      assert.equal(
        errorCode(await bob.client.request({ case: 'subscribe', value: { streamId } })),
        ErrorCode.NOT_FOUND,
      );
    }
    assert.equal(
      errorCode(
        await other.client.request({
          case: 'publish',
          value: { streamId: cam, streamType: StreamType.AUDIO },
        }),
      ),
      undefined, // a stream id is unique per meeting; another meeting may reuse it
    );
    assert.equal(
      errorCode(
        await alice.client.request({
          case: 'publish',
          value: { streamId: cam, streamType: StreamType.AUDIO },
        }),
      ),
      ErrorCode.CONFLICT,
    );

    // Key frame requests go to the handler the publisher sends to.
    expectKind(await bob.client.request({ case: 'keyframeRequest', value: { streamId: cam } }), 'ack');
    assert.deepEqual(h.media.keyframes, [`${MH1} ${cam}`]);
    assert.equal(
      errorCode(await bob.client.request({ case: 'keyframeRequest', value: { streamId: foreign } })),
      ErrorCode.NOT_FOUND,
    );

    // Mute state and quality updates reach the right people.
    assert.equal(
      (await bob.client.request({ case: 'muteState', value: { audioMuted: true } })).kind.case,
      'ack',
    );
    const mute = await alice.client.next('muteState');
    assert.deepEqual(
      [mute.participantId, mute.audioMuted, mute.videoMuted],
      [bob.participantId, true, false],
    );
    await bob.client.send({
      case: 'qualityUpdate',
      value: { streamId: cam, availableBitrate: 300_000, packetLoss: 0.02, rttMs: 40 },
    });
    const quality = await alice.client.next('qualityUpdate');
    assert.deepEqual([quality.streamId, quality.availableBitrate, quality.rttMs], [cam, 300_000, 40]);

    // Leave: others learn why; routes to the leaver go away.
    assert.equal((await bob.client.request({ case: 'leave', value: {} })).kind.case, 'ack');
    const left = await alice.client.next('participantLeft');
    assert.deepEqual([left.participantId, left.reason], [bob.participantId, LeaveReason.VOLUNTARY]);
    assert.deepEqual(h.media.deliveredTo(bob.participantId), []);
    await bob.client.ended;
  });

  test(`${name}: layouts: grid with pins, minimal updates, speaker changes`, async () => {
    await using h = await Harness.start(openStore);
    const meeting = randomUUID();
    const viewer = await h.join(meeting, 'viewer');
    const people = [];
    for (const n of ['ann', 'ben', 'cat', 'dan']) {
      const p = await h.join(meeting, n);
      people.push({ ...p, cam: await publishCamera(p.client) });
    }
    const [ann, , cat, dan] = people as [
      (typeof people)[0],
      (typeof people)[0],
      (typeof people)[0],
      (typeof people)[0],
    ];
    const slots = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const reply = await viewer.client.request({
      case: 'layoutRequest',
      value: {
        layout: { case: 'grid', value: { rows: 1, columns: 3 } },
        slotStreamIds: slots.slice(0, 3),
        pinnedUsers: ['dan'],
        excludedUsers: ['ben'],
        preferVideoOverAudio: true,
      },
    });
    const full = expectKind(reply, 'layoutUpdate');
    assert.equal(full.full, true);
    assert.deepEqual(
      full.added.map((s) => [s.slot, s.slotStreamId, s.participantId, s.sourceStreamId, s.reason]),
      [
        [0, slots[0], dan.participantId, dan.cam, SlotReason.PINNED],
        [1, slots[1], ann.participantId, ann.cam, SlotReason.OTHER],
        [2, slots[2], cat.participantId, cat.cam, SlotReason.OTHER],
      ],
    );
    assert.deepEqual(
      h.media.deliveredTo(viewer.participantId),
      [`${ann.cam}->${slots[1]}`, `${cat.cam}->${slots[2]}`, `${dan.cam}->${slots[0]}`].sort(),
    );

    // Cat leaves: one slot changes hands... ben is excluded, so the slot empties.
    await cat.client.request({ case: 'leave', value: {} });
    const update = await viewer.client.next('layoutUpdate');
    assert.equal(update.full, false);
    assert.equal(update.baseVersion, full.layoutVersion);
    assert.deepEqual(update.added, []);
    assert.deepEqual(update.changed, []);
    assert.deepEqual(update.removed, [2]);

    // A new participant with a screen share: promoted into the free slot, nothing else moves.
    const eve = await h.join(meeting, 'eve');
    const screen = await publishCamera(eve.client, StreamType.VIDEO_SCREEN);
    const promoted = await viewer.client.next('layoutUpdate');
    assert.deepEqual(
      promoted.added.map((s) => [s.slot, s.sourceStreamId, s.reason]),
      [[2, screen, SlotReason.SCREEN_SHARE]],
    );
    assert.deepEqual(
      promoted.changed.map((s) => s.slot),
      [],
    );

    // Active speaker: the media handler reports Ann's microphone loud; everyone hears about it. Levels on a video
    // stream, or on someone else's stream, count for nothing.
    const mic = await publishCamera(ann.client, StreamType.AUDIO);
    await h.service.audioLevel(MeetingId(meeting), ParticipantId(dan.participantId), mic, 0);
    await h.service.audioLevel(MeetingId(meeting), ParticipantId(dan.participantId), dan.cam, 0);
    for (let i = 0; i < 3; i++) {
      await h.service.audioLevel(MeetingId(meeting), ParticipantId(ann.participantId), mic, 5);
    }
    const speaker = await viewer.client.next('activeSpeaker');
    assert.deepEqual(speaker.participantIds, [ann.participantId]);
    const reasons = await viewer.client.next('layoutUpdate');
    assert.deepEqual(
      reasons.changed.map((s) => [s.slot, s.participantId, s.reason]),
      [[1, ann.participantId, SlotReason.ACTIVE_SPEAKER]],
    );

    // Invalid layouts are refused, the session stays.
    for (const bad of [
      { layout: { case: 'grid' as const, value: { rows: 0, columns: 2 } }, slotStreamIds: [] },
      { layout: { case: 'grid' as const, value: { rows: 257, columns: 1 } }, slotStreamIds: [] },
      {
        layout: { case: 'grid' as const, value: { rows: 1, columns: 1 } },
        slotStreamIds: [slots[0] ?? '', slots[1] ?? ''],
      },
      {
        layout: { case: 'grid' as const, value: { rows: 2, columns: 1 } },
        slotStreamIds: [slots[0] ?? '', slots[0] ?? ''],
      },
      { layout: { case: 'speaker' as const, value: { thumbnails: 0 } }, slotStreamIds: ['x'] },
      { slotStreamIds: [] },
    ]) {
      assert.equal(
        errorCode(await viewer.client.request({ case: 'layoutRequest', value: bad })),
        ErrorCode.INVALID_REQUEST,
      );
    }
    assert.equal(
      (await viewer.client.request({ case: 'heartbeat', value: { clientTimeMs: 7n } })).kind.case,
      'heartbeatAck',
    );
  });

  test(`${name}: host powers: kick and end meeting; others are FORBIDDEN`, async () => {
    await using h = await Harness.start(openStore);
    const meeting = randomUUID();
    const host = await h.join(meeting, 'host', 'host');
    const a = await h.join(meeting, 'a');
    const b = await h.join(meeting, 'b');
    const denied = await a.client.request({ case: 'kick', value: { participantId: b.participantId } });
    assert.equal(errorCode(denied), ErrorCode.FORBIDDEN, JSON.stringify(denied.kind));
    assert.equal(errorCode(await a.client.request({ case: 'endMeeting', value: {} })), ErrorCode.FORBIDDEN);
    assert.equal(
      (await host.client.request({ case: 'kick', value: { participantId: a.participantId } })).kind.case,
      'ack',
    );
    const kicked = await a.client.next('participantLeft');
    assert.deepEqual([kicked.participantId, kicked.reason], [a.participantId, LeaveReason.KICKED]);
    await a.client.ended;
    const seen = await b.client.waitFor(
      (m) => m.kind.case === 'participantLeft' && m.kind.value.participantId === a.participantId,
      5_000,
      'kick notice',
    );
    assert.equal(
      seen.kind.case === 'participantLeft' ? seen.kind.value.reason : undefined,
      LeaveReason.KICKED,
    );

    await host.client.request({ case: 'endMeeting', value: { reason: 'done' } });
    const ended = await b.client.next('meetingEnded');
    assert.deepEqual([ended.reason, ended.endedByParticipantId], ['done', host.participantId]);
    await b.client.ended;
    await host.client.ended;
    await assert.rejects(h.join(meeting, 'late'), /Meeting has ended/);
  });

  test(`${name}: hostile input closes only the offender`, async () => {
    await using h = await Harness.start(openStore);
    const meeting = randomUUID();
    const good = await h.join(meeting, 'good');

    // Message before JoinRequest.
    const early = await h.connect();
    const refused = await early.request({ case: 'heartbeat', value: {} });
    assert.equal(errorCode(refused), ErrorCode.UNAUTHORIZED);
    await early.ended;
    assert.equal(early.isEnded, true);

    // Garbage frame: valid length prefix, bytes that are not a ClientMessage.
    const garbage = await h.connect();
    await garbage.writeRaw(new Uint8Array([0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]));
    const malformed = await garbage.next('error');
    assert.equal(malformed.code, ErrorCode.MALFORMED_MESSAGE);
    await garbage.ended;

    // Oversized frame: a prefix above the cap is refused before anything is allocated.
    const huge = await h.connect();
    await huge.writeRaw(new Uint8Array([0x7f, 0xff, 0xff, 0xff]));
    assert.equal((await huge.next('error')).code, ErrorCode.MESSAGE_TOO_LARGE);
    await huge.ended;

    // Forged token (someone else's key), token for another meeting, expired token, replayed token.
    const forged = await h.issuer.sign({ meetingId: meeting, sub: 'mallory', key: makeTestKey('gc-key-1') });
    const otherMeeting = await h.issuer.sign({ meetingId: randomUUID(), sub: 'mallory' });
    const expired = await h.issuer.sign({ meetingId: meeting, sub: 'mallory', ttlSec: -120 });
    const wrongAudience = await h.issuer.sign({
      meetingId: meeting,
      sub: 'mallory',
      audience: 'darktower-gc',
    });
    for (const joinToken of [forged, otherMeeting, expired, wrongAudience, 'garbage', '']) {
      const c = await h.connect();
      const reply = await c.request({ case: 'join', value: { meetingId: meeting, joinToken } });
      assert.equal(errorCode(reply), ErrorCode.UNAUTHORIZED, joinToken.slice(0, 20));
      await c.ended;
    }
    const once = await h.issuer.sign({ meetingId: meeting, sub: 'replayer' });
    const first = await h.connect();
    assert.equal(
      (await first.request({ case: 'join', value: { meetingId: meeting, joinToken: once } })).kind.case,
      'joinResponse',
    );
    const second = await h.connect();
    assert.equal(
      errorCode(await second.request({ case: 'join', value: { meetingId: meeting, joinToken: once } })),
      ErrorCode.UNAUTHORIZED,
    );

    // 10,000 messages in a burst: 1,000 served, the rest RATE_LIMITED, the session stays open.
    const flooder = await h.join(meeting, 'flooder');
    const burst = 10_000;
    const startedAt = Date.now();
    const sending = (async () => {
      for (let i = 0; i < burst; i++)
        await flooder.client.send({ case: 'heartbeat', value: {} }, 100_000 + i);
    })();
    await flooder.client.waitFor(
      (m) => m.requestId === 100_000 + burst - 1,
      60_000,
      'last burst reply',
      true,
    );
    await sending;
    const replies = flooder.client.received.filter((m) => m.requestId >= 100_000);
    const limited = replies.filter((m) => errorCode(m) === ErrorCode.RATE_LIMITED).length;
    const served = replies.filter((m) => m.kind.case === 'heartbeatAck').length;
    assert.equal(replies.length, burst);
    // The bucket holds 1,000 and refills 1,000/min while the burst is being sent (the join took one token).
    const refill = Math.ceil((Date.now() - startedAt) / 60) + 1;
    assert.ok(served >= 999 && served <= 1000 + refill, `served ${served}, refill ${refill}`);
    assert.ok(limited >= burst - 1000 - refill, `limited ${limited}`);
    assert.equal(served + limited, burst);
    assert.equal(flooder.client.isEnded, false);

    // The well-behaved participant never noticed.
    assert.equal(good.client.isEnded, false);
    assert.equal((await good.client.request({ case: 'heartbeat', value: {} })).kind.case, 'heartbeatAck');
    const cam = await publishCamera(good.client);
    assert.ok(cam.length > 0);
  });

  test(`${name}: presence timeout, resume with the same participant and subscriptions, expiry`, async () => {
    await using h = await Harness.start(openStore);
    const meeting = randomUUID();
    const alice = await h.join(meeting, 'alice');
    const cam = await publishCamera(alice.client);
    const bob = await h.join(meeting, 'bob');
    await bob.client.request({ case: 'subscribe', value: { streamId: cam } });
    assert.deepEqual(h.media.deliveredTo(bob.participantId), [`${cam}->${cam}`]);

    // Bob goes quiet; Alice keeps heartbeating. After 31 s Bob is disconnected, Alice is not.
    h.advance(20_000);
    await alice.client.request({ case: 'heartbeat', value: {} });
    h.advance(11_000);
    await alice.client.request({ case: 'heartbeat', value: {} });
    await h.service.sweep();
    await bob.client.ended;
    const lost = await alice.client.next('participantLeft');
    assert.deepEqual([lost.participantId, lost.reason], [bob.participantId, LeaveReason.CONNECTION_LOST]);
    assert.equal(alice.client.isEnded, false);
    assert.deepEqual(h.media.deliveredTo(bob.participantId), []);

    // Bob resumes with a fresh join token: same participant id, subscription restored, Alice told.
    const again = await h.connect();
    const token = await h.issuer.sign({ meetingId: meeting, sub: 'bob' });
    const resumed = await again.request({
      case: 'resume',
      value: {
        meetingId: meeting,
        participantId: bob.participantId,
        resumeToken: bob.response.resumeToken,
        joinToken: token,
      },
    });
    const response = expectKind(resumed, 'joinResponse');
    assert.equal(response.participantId, bob.participantId);
    assert.deepEqual(
      response.existingParticipants.map((p) => p.participantId),
      [alice.participantId],
    );
    assert.deepEqual(h.media.deliveredTo(bob.participantId), [`${cam}->${cam}`]);
    const back = await alice.client.next('participantJoined');
    assert.equal(back.participant?.participantId, bob.participantId);

    // A wrong resume token, or another user's join token, is refused.
    const thief = await h.connect();
    const thiefToken = await h.issuer.sign({ meetingId: meeting, sub: 'bob' });
    assert.equal(
      errorCode(
        await thief.request({
          case: 'resume',
          value: {
            meetingId: meeting,
            participantId: bob.participantId,
            resumeToken: 'x'.repeat(43),
            joinToken: thiefToken,
          },
        }),
      ),
      ErrorCode.SESSION_EXPIRED,
    );
    const impostor = await h.connect();
    assert.equal(
      errorCode(
        await impostor.request({
          case: 'resume',
          value: {
            meetingId: meeting,
            participantId: bob.participantId,
            resumeToken: response.resumeToken,
            joinToken: await h.issuer.sign({ meetingId: meeting, sub: 'mallory' }),
          },
        }),
      ),
      ErrorCode.UNAUTHORIZED,
    );

    // Disconnected for more than 5 minutes: the session is gone.
    await again.close();
    await alice.client.next('participantLeft');
    h.advance(301_000);
    await alice.client.request({ case: 'heartbeat', value: {} });
    await h.service.sweep();
    const late = await h.connect();
    assert.equal(
      errorCode(
        await late.request({
          case: 'resume',
          value: {
            meetingId: meeting,
            participantId: bob.participantId,
            resumeToken: response.resumeToken,
            joinToken: await h.issuer.sign({ meetingId: meeting, sub: 'bob' }),
          },
        }),
      ),
      ErrorCode.SESSION_EXPIRED,
    );
  });

  test(`${name}: capacity, and failover when a media handler dies`, async () => {
    await using h = await Harness.start(openStore);
    const meeting = randomUUID();
    await h.service.assignMeeting(MeetingId(meeting), {
      displayName: 'Small',
      maxParticipants: 2,
      enableE2ee: true,
      recordingEnabled: false,
    });
    const a = await h.join(meeting, 'a');
    const b = await h.join(meeting, 'b');
    await assert.rejects(h.join(meeting, 'c'), /maximum participants/);
    const cam = await publishCamera(a.client);
    await b.client.request({ case: 'subscribe', value: { streamId: cam } });
    assert.deepEqual(
      [...h.media.routes.values()].map((r) => r.handlerId),
      [MH1],
    );
    h.media.failing.add(MH1);
    h.handlers.markUnhealthy(MH1);
    await h.service.handlersFailed(new Set([MH1]));
    // The publisher is told to send to its standby; the route now lives there.
    const moved = await a.client.waitFor(
      (m) => m.kind.case === 'streamPublished' && m.requestId === 0 && m.kind.value.handlerIds[0] === MH2,
      5_000,
      'publisher moved to MH2',
    );
    assert.equal(moved.kind.case, 'streamPublished');
    assert.deepEqual(
      [...h.media.routes.values()].filter((r) => r.handlerId === MH2).map((r) => `${r.source}->${r.to}`),
      [`${cam}->p:${b.participantId}:${cam}`],
    );
  });
}
