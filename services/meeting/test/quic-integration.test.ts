// The deployable controller, end to end: Node bots over real QUIC (WebTransport) on loopback and over the WebSocket
// fallback join, publish, subscribe, change layouts and leave; meeting state in real Redis; media handlers register
// over the controller's real Connect RPC; /health, /ready and /metrics answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ErrorCode, LeaveReason, SlotReason, StreamType } from '@darktower/protocol';
import { openKeyValueStore } from '@darktower/data';
import { testRedisUrl, uniquePrefix } from '@darktower/data/testing';
import { connectWebSocket, connectWebTransport } from '@darktower/transport';
import { loadMeetingConfig } from '../src/config.ts';
import { buildMeetingController } from '../src/meeting-controller.ts';
import { JoinTokenIssuer, TEST_ISSUER } from '../src/testing/join-tokens.ts';
import { SignalingClient, expectKind } from '../src/testing/signaling-client.ts';
import { MediaHandlerStandIn } from './support/media-handler-stand-in.ts';

test('bots over real QUIC and WebSocket against a controller on real Redis', async () => {
  await using issuer = await JoinTokenIssuer.start();
  await using mh1 = await MediaHandlerStandIn.start('mh-1');
  await using mh2 = await MediaHandlerStandIn.start('mh-2');
  const prefix = uniquePrefix('mc-it');
  const config = loadMeetingConfig({
    env: {
      MC_PORT: '0',
      MC_WS_PORT: '0',
      MC_RPC_PORT: '0',
      MC_OPS_PORT: '0',
      REDIS_URL: testRedisUrl(),
      MC_REDIS_PREFIX: prefix,
      JOIN_TOKEN_JWKS_URL: issuer.jwks.url,
      JOIN_TOKEN_ISSUERS: TEST_ISSUER,
      MC_SWEEP_INTERVAL: '200ms',
      LOG_LEVEL: 'silent',
    },
  });
  await using mc = await buildMeetingController(config);
  const addresses = await mc.listen();
  await mh1.register(addresses.rpc.url);
  await mh2.register(addresses.rpc.url);

  const ready = await fetch(`${addresses.ops.url}/ready`);
  assert.equal(ready.status, 200, await ready.clone().text());
  assert.equal((await fetch(`${addresses.ops.url}/health`)).status, 200);

  const quicBot = async (): Promise<SignalingClient> =>
    SignalingClient.open(
      await connectWebTransport(addresses.signaling.url, {
        serverCertificateHashes: [addresses.certificateHash],
      }),
    );
  const wsBot = async (): Promise<SignalingClient> =>
    SignalingClient.open(await connectWebSocket(addresses.websocket.url));
  const meeting = randomUUID();
  const join = async (bot: SignalingClient, sub: string, role: 'host' | 'participant' = 'participant') =>
    expectKind(
      await bot.request({
        case: 'join',
        value: {
          meetingId: meeting,
          joinToken: await issuer.sign({ meetingId: meeting, sub, role }),
          protocolVersion: 1,
        },
      }),
      'joinResponse',
    );

  const alice = await quicBot();
  const aliceJoin = await join(alice, 'alice', 'host');
  assert.deepEqual(
    aliceJoin.mediaServers.map((s) => s.handlerId),
    ['mh-1', 'mh-2'],
  );
  assert.ok(
    aliceJoin.mediaServers.every(
      (s) => mh1.tokens.has(s.connectionToken) || mh2.tokens.has(s.connectionToken),
    ),
  );
  const cam = randomUUID();
  const published = expectKind(
    await alice.request({
      case: 'publish',
      value: { streamId: cam, streamType: StreamType.VIDEO_CAMERA, metadata: { codec: 'VP9' } },
    }),
    'streamPublished',
  );
  assert.deepEqual(published.handlerIds, ['mh-1']);

  const bob = await wsBot(); // the fallback transport carries the same protocol
  const bobJoin = await join(bob, 'bob');
  assert.deepEqual(
    bobJoin.existingParticipants.map((p) => p.participantId),
    [aliceJoin.participantId],
  );
  assert.equal((await alice.next('participantJoined')).participant?.participantId, bobJoin.participantId);

  const carol = await quicBot();
  const carolJoin = await join(carol, 'carol');
  const slot = randomUUID();
  const layout = expectKind(
    await carol.request({
      case: 'layoutRequest',
      value: {
        layout: { case: 'speaker', value: { thumbnails: 0 } },
        slotStreamIds: [slot],
        preferVideoOverAudio: true,
      },
    }),
    'layoutUpdate',
  );
  assert.deepEqual(
    layout.added.map((s) => [s.slotStreamId, s.participantId, s.sourceStreamId, s.reason, s.handlerId]),
    [[slot, aliceJoin.participantId, cam, SlotReason.OTHER, 'mh-1']],
  );
  expectKind(await bob.request({ case: 'subscribe', value: { streamId: cam } }), 'subscriptionAck');
  // The media handler received the routes over real RPC.
  assert.deepEqual(mh1.routesTo(bobJoin.participantId), [cam]);
  assert.deepEqual(mh1.routesTo(carolJoin.participantId), [cam]);

  // Hostile bytes over QUIC close only that session.
  const mallory = await quicBot();
  await mallory.writeRaw(new Uint8Array([0, 0, 0, 3, 0xff, 0xff, 0xff]));
  assert.equal((await mallory.next('error')).code, ErrorCode.MALFORMED_MESSAGE);
  await mallory.ended;
  expectKind(await alice.request({ case: 'heartbeat', value: { clientTimeMs: 1n } }), 'heartbeatAck');

  // Leave over WebSocket; Alice hears it over QUIC; Bob's routes are gone from the handler.
  expectKind(await bob.request({ case: 'leave', value: {} }), 'ack');
  const left = await alice.next('participantLeft');
  assert.deepEqual([left.participantId, left.reason], [bobJoin.participantId, LeaveReason.VOLUNTARY]);
  assert.deepEqual(mh1.routesTo(bobJoin.participantId), []);

  // State is in Redis under the controller's prefix.
  const kv = await openKeyValueStore({ url: testRedisUrl(), prefix });
  try {
    const ids = await kv.smembers(`participants:${meeting}`);
    assert.deepEqual(ids.sort(), [aliceJoin.participantId, carolJoin.participantId].sort());
  } finally {
    for (const bot of [alice, bob, carol]) await bot.close().catch(() => undefined);
    await mc.close();
    const keys = await kv.keys('');
    if (keys.length > 0) await kv.del(...keys);
    await kv.close();
  }
  const after = await fetch(`${addresses.ops.url}/health`).catch(() => undefined);
  assert.equal(after, undefined, 'ops server is closed after close()');
});
