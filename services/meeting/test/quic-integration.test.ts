// The deployable controller, end to end: Node bots over real QUIC (WebTransport) on loopback and over the WebSocket
// fallback join, publish, subscribe, change layouts and leave; meeting state in real Redis; two real media handler
// processes register over the controller's real Connect RPC with service tokens from a real Auth Controller, mint
// the connection tokens participants use, and forward what the controller routes; /health, /ready and /metrics
// answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { clientCredentialsTokenSource } from '@darktower/auth-verifier';
import {
  ErrorCode,
  LeaveReason,
  MediaHandlerService,
  SlotReason,
  StreamType,
  type MediaServerInfo,
} from '@darktower/protocol';
import { checksum, MediaBot } from '@darktower/media/testing';
import { openKeyValueStore } from '@darktower/data';
import { testRedisUrl, uniquePrefix } from '@darktower/data/testing';
import { connectWebSocket, connectWebTransport } from '@darktower/transport';
import { loadMeetingConfig } from '../src/config.ts';
import { buildMeetingController } from '../src/meeting-controller.ts';
import { JoinTokenIssuer, TEST_ISSUER } from '../src/testing/join-tokens.ts';
import { SignalingClient, expectKind } from '../src/testing/signaling-client.ts';
import { eventually, startAuth, startMediaHandler } from './support/real-stack.ts';

test('bots over real QUIC and WebSocket against a controller on real Redis', async () => {
  await using auth = await startAuth();
  await using issuer = await JoinTokenIssuer.start();
  const mcClient = await auth.register('it-meeting', ['service.write.gc', 'service.write.mh']);
  const mhClient = await auth.register('it-media', ['service.write.mc', 'service.write.mh']);
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
      ...auth.env,
      MC_CLIENT_ID: mcClient.clientId,
      MC_CLIENT_SECRET: mcClient.clientSecret,
      MC_SWEEP_INTERVAL: '200ms',
      LOG_LEVEL: 'silent',
    },
  });
  await using mc = await buildMeetingController(config);
  const addresses = await mc.listen();
  const mhEnv = {
    ...auth.env,
    MH_CLIENT_ID: mhClient.clientId,
    MH_CLIENT_SECRET: mhClient.clientSecret,
    MH_MEETING_CONTROLLER_URL: addresses.rpc.url,
  };
  await using mh1 = await startMediaHandler('mh-1', mhEnv);
  await using mh2 = await startMediaHandler('mh-2', mhEnv);
  for (const h of [mh1, mh2]) {
    await eventually(async () => (await fetch(`${h.ops}/ready`)).status === 200, `${h.handlerId} registered`);
  }
  // What the controller's RPC calls carry: a token from the Auth Controller's client credentials grant.
  const serviceToken = clientCredentialsTokenSource({
    tokenUrl: auth.tokenUrl,
    clientId: mcClient.clientId,
    clientSecret: mcClient.clientSecret,
  });
  const mh1Rpc = createClient(
    MediaHandlerService,
    createConnectTransport({
      baseUrl: mh1.rpc,
      httpVersion: '1.1',
      interceptors: [
        (next) => async (req) => {
          req.header.set('authorization', `Bearer ${await serviceToken()}`);
          return await next(req);
        },
      ],
    }),
  );
  const participantsOnMh1 = async (): Promise<number> => (await mh1Rpc.getStats({})).load?.participants ?? -1;
  const mediaBots: MediaBot[] = [];
  const mediaBot = async (server: MediaServerInfo | undefined): Promise<MediaBot> => {
    assert.ok(server !== undefined);
    const bot = await MediaBot.connect(
      await connectWebTransport(server.mediaHandlerUrl, {
        serverCertificateHashes: server.serverCertificateHashes,
      }),
      server.connectionToken,
    );
    mediaBots.push(bot);
    return bot;
  };

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
  // The connection tokens are the handlers' own: each authenticates a media session (the standby too).
  const aliceMedia = await mediaBot(aliceJoin.mediaServers[0]);
  (await mediaBot(aliceJoin.mediaServers[1])).close();
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
  const bobMedia = await mediaBot(bobJoin.mediaServers[0]);
  assert.deepEqual(
    bobJoin.existingParticipants.map((p) => p.participantId),
    [aliceJoin.participantId],
  );
  assert.equal((await alice.next('participantJoined')).participant?.participantId, bobJoin.participantId);

  const carol = await quicBot();
  const carolJoin = await join(carol, 'carol');
  const carolMedia = await mediaBot(carolJoin.mediaServers[0]);
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
  // The media handler received the routes over real RPC: Bob gets the camera, Carol gets it in her layout slot.
  const video = await aliceMedia.publish(cam, StreamType.VIDEO_CAMERA, 'vp09');
  const sums: string[] = [];
  for (let i = 0; i < 20; i++) {
    const payload = randomBytes(500);
    sums.push(checksum(payload));
    await video.send(payload, i === 0);
  }
  await eventually(() => Promise.resolve(bobMedia.frames(cam).length >= sums.length), 'frames at Bob');
  assert.deepEqual(
    bobMedia.frames(cam).map((f) => checksum(f.payload)),
    sums,
  );
  await eventually(
    () => Promise.resolve(carolMedia.frames(slot).length + carolMedia.frames(cam).length >= sums.length),
    'frames at Carol',
  );
  assert.equal(await participantsOnMh1(), 3);

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
  // Bob is unregistered from the handlers.
  await eventually(async () => (await participantsOnMh1()) === 2, 'Bob unregistered from mh-1');

  // State is in Redis under the controller's prefix.
  const kv = await openKeyValueStore({ url: testRedisUrl(), prefix });
  try {
    const ids = await kv.smembers(`participants:${meeting}`);
    assert.deepEqual(ids.sort(), [aliceJoin.participantId, carolJoin.participantId].sort());
  } finally {
    for (const bot of mediaBots) bot.close();
    for (const bot of [alice, bob, carol]) await bot.close().catch(() => undefined);
    await mc.close();
    const keys = await kv.keys('');
    if (keys.length > 0) await kv.del(...keys);
    await kv.close();
  }
  const after = await fetch(`${addresses.ops.url}/health`).catch(() => undefined);
  assert.equal(after, undefined, 'ops server is closed after close()');
});
