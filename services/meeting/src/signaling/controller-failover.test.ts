// Two controllers share meeting state in real Redis. The first one dies (its store connection goes away without a
// goodbye); clients reconnect to the second one and resume with the same participant ids and subscriptions, and the
// meeting's MLS group (Delivery Service state in Redis) continues there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ErrorCode, LeaveReason, StreamType } from '@darktower/protocol';
import { openKeyValueStore } from '@darktower/data';
import { testRedisUrl, uniquePrefix } from '@darktower/data/testing';
import { createMemorySessionPair } from '@darktower/transport';
import { MeetingId } from '../ids.ts';
import { HandlerRegistry } from '../routing/handler-registry.ts';
import { KvMeetingStore } from '../state/kv-meeting-store.ts';
import { KvMeetingBus } from '../state/meeting-bus.ts';
import { JoinTokenIssuer, TEST_ISSUER } from '../testing/join-tokens.ts';
import { MediaGatewayDouble } from '../testing/media-gateway-double.ts';
import { MH1, MH2, OffsetClock, silentLog, type Joined } from '../testing/harness.ts';
import { MlsClient, atEpoch, framesGoAllWays, sameKeys, settle } from '../testing/mls-test-client.ts';
import { SignalingClient, expectKind } from '../testing/signaling-client.ts';
import { createJoinTokenVerifier } from './join-token.ts';
import { SignalingService } from './signaling-service.ts';

test('a meeting survives its controller: clients resume on another one', async () => {
  await using issuer = await JoinTokenIssuer.start();
  const prefix = uniquePrefix('mc-failover');
  const clock = new OffsetClock();
  const media = new MediaGatewayDouble();
  const controller = async (id: string) => {
    const handlers = new HandlerRegistry(clock, 60_000);
    for (const h of [MH1, MH2]) {
      handlers.register({
        handlerId: h,
        region: 't',
        mediaUrl: `https://${h}.test`,
        rpcUrl: `http://${h}.test`,
        capacity: { maxParticipants: 100, maxStreams: 1000 },
      });
    }
    const kv = await openKeyValueStore({ url: testRedisUrl(), prefix });
    const store = new KvMeetingStore(kv);
    const service = new SignalingService({
      bus: new KvMeetingBus(kv),
      controllerId: id,
      clock,
      store,
      media,
      handlers,
      verifier: createJoinTokenVerifier({ jwksUrl: issuer.jwks.url, issuer: TEST_ISSUER }),
      log: silentLog,
    });
    const connect = async (): Promise<SignalingClient> => {
      const [client, server] = createMemorySessionPair();
      service.accept(server);
      return SignalingClient.open(client);
    };
    await service.start();
    return { service, store, connect };
  };

  const a = await controller('mc-a');
  const b = await controller('mc-b');
  const meeting = randomUUID();
  const join = async (sub: string) => {
    const client = await a.connect();
    const reply = await client.request({
      case: 'join',
      value: {
        meetingId: meeting,
        joinToken: await issuer.sign({ meetingId: meeting, sub }),
        protocolVersion: 1,
      },
    });
    return { client, response: expectKind(reply, 'joinResponse') };
  };
  const alice = await join('alice');
  const cam = randomUUID();
  expectKind(
    await alice.client.request({
      case: 'publish',
      value: { streamId: cam, streamType: StreamType.VIDEO_CAMERA },
    }),
    'streamPublished',
  );
  const bob = await join('bob');
  expectKind(await bob.client.request({ case: 'subscribe', value: { streamId: cam } }), 'subscriptionAck');

  // Controller A dies: its Redis connection is gone, then its clients lose their sessions. (While both live, the
  // claim over pub/sub moves the meeting: see the next test.)
  await a.store.close();
  alice.client.session.close();
  bob.client.session.close();
  await Promise.all([alice.client.ended, bob.client.ended]);
  media.routes.clear(); // what B sets up must come from B

  const resume = async (sub: string, response: typeof alice.response) => {
    const client = await b.connect();
    const reply = await client.request({
      case: 'resume',
      value: {
        meetingId: meeting,
        participantId: response.participantId,
        resumeToken: response.resumeToken,
        joinToken: await issuer.sign({ meetingId: meeting, sub }),
      },
    });
    return { client, response: expectKind(reply, 'joinResponse') };
  };
  const alice2 = await resume('alice', alice.response);
  assert.equal(alice2.response.participantId, alice.response.participantId);
  const bob2 = await resume('bob', bob.response);
  assert.equal(bob2.response.participantId, bob.response.participantId);
  assert.deepEqual(
    bob2.response.existingParticipants.map((p) => [p.participantId, p.streams.map((s) => s.streamId)]),
    [[alice.response.participantId, [cam]]],
  );
  // Bob's subscription came back with him: B routes Alice's camera to him again.
  assert.deepEqual(media.deliveredTo(bob.response.participantId), [`${cam}->${cam}`]);
  const back = await alice2.client.next('participantJoined');
  assert.equal(back.participant?.participantId, bob.response.participantId);

  // A join token cannot be replayed on the other controller either (the jti set is shared).
  const token = await issuer.sign({ meetingId: meeting, sub: 'carol' });
  const first = await b.connect();
  expectKind(
    await first.request({ case: 'join', value: { meetingId: meeting, joinToken: token } }),
    'joinResponse',
  );
  const second = await b.connect();
  const replay = await second.request({ case: 'join', value: { meetingId: meeting, joinToken: token } });
  assert.equal(expectKind(replay, 'error').code, ErrorCode.UNAUTHORIZED);

  // Leaving on B is seen by the others.
  await bob2.client.request({ case: 'leave', value: {} });
  const left = await alice2.client.next('participantLeft');
  assert.deepEqual([left.participantId, left.reason], [bob.response.participantId, LeaveReason.VOLUNTARY]);

  for (const c of [alice2.client, first, second]) await c.close().catch(() => undefined);
  await a.service.close();
  await b.service.close();
  const cleanup = await openKeyValueStore({ url: testRedisUrl(), prefix });
  const keys = await cleanup.keys('');
  if (keys.length > 0) await cleanup.del(...keys);
  await cleanup.close();
  await b.store.close();
});

test('a live controller lets go of a meeting another controller claimed (pub/sub)', async () => {
  await using issuer = await JoinTokenIssuer.start();
  const prefix = uniquePrefix('mc-handover');
  const clock = new OffsetClock();
  const media = new MediaGatewayDouble();
  const controller = async (id: string) => {
    const handlers = new HandlerRegistry(clock, 60_000);
    for (const h of [MH1, MH2]) {
      handlers.register({
        handlerId: h,
        region: 't',
        mediaUrl: `https://${h}.test`,
        rpcUrl: `http://${h}.test`,
        capacity: { maxParticipants: 100, maxStreams: 1000 },
      });
    }
    const kv = await openKeyValueStore({ url: testRedisUrl(), prefix });
    const service = new SignalingService({
      bus: new KvMeetingBus(kv),
      controllerId: id,
      clock,
      store: new KvMeetingStore(kv),
      media,
      handlers,
      verifier: createJoinTokenVerifier({ jwksUrl: issuer.jwks.url, issuer: TEST_ISSUER }),
      log: silentLog,
    });
    await service.start();
    const connect = async (): Promise<SignalingClient> => {
      const [client, server] = createMemorySessionPair();
      service.accept(server);
      return SignalingClient.open(client);
    };
    return { service, kv, connect };
  };
  const a = await controller('mc-a');
  const b = await controller('mc-b');
  const meeting = randomUUID();
  const aliceA = await a.connect();
  const alice = expectKind(
    await aliceA.request({
      case: 'join',
      value: { meetingId: meeting, joinToken: await issuer.sign({ meetingId: meeting, sub: 'alice' }) },
    }),
    'joinResponse',
  );
  // Bob reaches B first (say, the load balancer sent him there): B claims the meeting, A lets go and closes
  // Alice's session so she resumes on B.
  const bobB = await b.connect();
  expectKind(
    await bobB.request({
      case: 'join',
      value: { meetingId: meeting, joinToken: await issuer.sign({ meetingId: meeting, sub: 'bob' }) },
    }),
    'joinResponse',
  );
  await aliceA.ended;
  assert.equal(a.service.room(MeetingId(meeting)), undefined);
  const aliceB = await b.connect();
  const resumed = expectKind(
    await aliceB.request({
      case: 'resume',
      value: {
        meetingId: meeting,
        participantId: alice.participantId,
        resumeToken: alice.resumeToken,
        joinToken: await issuer.sign({ meetingId: meeting, sub: 'alice' }),
      },
    }),
    'joinResponse',
  );
  assert.equal(resumed.participantId, alice.participantId);
  assert.equal(resumed.existingParticipants.length, 1);

  for (const c of [aliceB, bobB]) await c.close().catch(() => undefined);
  await a.service.close();
  await b.service.close();
  const keys = await b.kv.keys('');
  if (keys.length > 0) await b.kv.del(...keys);
  await a.kv.close();
  await b.kv.close();
});

test('guests resume on the surviving controller with fresh guest tokens; the MLS group continues there', async () => {
  await using issuer = await JoinTokenIssuer.start();
  const prefix = uniquePrefix('mc-failover-mls');
  const clock = new OffsetClock();
  const media = new MediaGatewayDouble();
  const controller = async (id: string) => {
    const handlers = new HandlerRegistry(clock, 60_000);
    for (const h of [MH1, MH2]) {
      handlers.register({
        handlerId: h,
        region: 't',
        mediaUrl: `https://${h}.test`,
        rpcUrl: `http://${h}.test`,
        capacity: { maxParticipants: 100, maxStreams: 1000 },
      });
    }
    const kv = await openKeyValueStore({ url: testRedisUrl(), prefix });
    const store = new KvMeetingStore(kv);
    const service = new SignalingService({
      bus: new KvMeetingBus(kv),
      controllerId: id,
      clock,
      store,
      media,
      handlers,
      verifier: createJoinTokenVerifier({ jwksUrl: issuer.jwks.url, issuer: TEST_ISSUER }),
      log: silentLog,
    });
    const connect = async (): Promise<SignalingClient> => {
      const [client, server] = createMemorySessionPair();
      service.accept(server);
      return SignalingClient.open(client);
    };
    await service.start();
    return { service, store, connect };
  };
  const a = await controller('mc-a');
  const b = await controller('mc-b');
  const meeting = randomUUID();
  // The Global Controller gives a guest a new random identity with every join token.
  const guest = (): string => `guest:${randomUUID()}`;
  const join = async (on: typeof a, sub: string): Promise<Joined> => {
    const client = await on.connect();
    const reply = await client.request({
      case: 'join',
      value: { meetingId: meeting, joinToken: await issuer.sign({ meetingId: meeting, sub }) },
    });
    const response = expectKind(reply, 'joinResponse');
    return { client, participantId: response.participantId, response };
  };
  const alice = await MlsClient.on(await join(a, guest()));
  await settle([alice], atEpoch([alice], 0n), 'alice founds the group on A');
  const bob = await MlsClient.on(await join(a, guest()));
  await settle([alice, bob], atEpoch([alice, bob], 1n), 'bob joins on A');
  const dave = await join(a, 'user-dave');

  // A dies.
  await a.store.close();
  for (const c of [alice, bob]) c.joined.client.session.close();
  dave.client.session.close();
  await Promise.all([alice.joined.client.ended, bob.joined.client.ended, dave.client.ended]);

  const resume = async (joined: Joined, sub: string) => {
    const client = await b.connect();
    const reply = await client.request({
      case: 'resume',
      value: {
        meetingId: meeting,
        participantId: joined.participantId,
        resumeToken: joined.response.resumeToken,
        joinToken: await issuer.sign({ meetingId: meeting, sub }),
      },
    });
    return { client, reply };
  };
  // A signed-in user comes back only as the same user, even with the right resume token.
  const impostor = await resume(dave, 'user-mallory');
  assert.equal(expectKind(impostor.reply, 'error').code, ErrorCode.UNAUTHORIZED);
  for (const c of [alice, bob]) {
    const again = await resume(c.joined, guest());
    assert.equal(expectKind(again.reply, 'joinResponse').participantId, c.joined.participantId);
    c.resumedOn(again.client);
  }
  // B continues A's group (same epoch) instead of founding a new one.
  assert.equal(b.service.room(MeetingId(meeting))?.mlsEpoch, 1n);
  const carol = await MlsClient.on(await join(b, guest()));
  const all = [alice, bob, carol];
  await settle(all, atEpoch(all, 2n), 'carol joins on B');
  await sameKeys(all);
  await framesGoAllWays(all, 1);
  for (const c of all) assert.deepEqual(c.failures, []);

  for (const c of [...all.map((x) => x.joined.client), impostor.client])
    await c.close().catch(() => undefined);
  await a.service.close();
  await b.service.close();
  const cleanup = await openKeyValueStore({ url: testRedisUrl(), prefix });
  const keys = await cleanup.keys('');
  if (keys.length > 0) await cleanup.del(...keys);
  await cleanup.close();
  await b.store.close();
});
