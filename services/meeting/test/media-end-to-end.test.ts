// The first milestone through real services: a real Auth Controller issues service tokens (client credentials
// grant), the Meeting Controller and two real Media Handler processes fetch them and verify each other's; Node
// participants join over real QUIC, one publishes synthetic frames, the other receives the identical bytes: on one
// handler, and across two handlers through a cascade the controller commands.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { FrameType, MediaHandlerService, StreamType, type MediaServerInfo } from '@darktower/protocol';
import { checksum, MediaBot } from '@darktower/media/testing';
import { connectWebTransport } from '@darktower/transport';
import { loadMeetingConfig } from '../src/config.ts';
import { buildMeetingController, type MeetingController } from '../src/meeting-controller.ts';
import { JoinTokenIssuer, TEST_ISSUER } from '../src/testing/join-tokens.ts';
import { SignalingClient, expectKind } from '../src/testing/signaling-client.ts';
import {
  eventually,
  startAuth,
  startMediaHandler,
  type MediaHandlerProcess,
  type RealAuth,
  type ServiceClient,
} from './support/real-stack.ts';

describe('participants exchange media through the real controller and media handlers', () => {
  let auth: RealAuth;
  let issuer: JoinTokenIssuer;
  let mc: MeetingController;
  let signalingUrl: string;
  let signalingHash: Uint8Array;
  let mcOps = '';
  const handlers: MediaHandlerProcess[] = [];
  const bots: { close(): unknown }[] = [];
  let mh1 = '';
  let mh2 = '';

  before(async () => {
    auth = await startAuth();
    issuer = await JoinTokenIssuer.start();
    const mcClient = await auth.register('e2e-meeting', ['service.write.gc', 'service.write.mh']);
    // One service client per handler: a handler's id is its client id (cascade peers check the token's subject).
    // Sorted: on equal load the controller picks the smaller id first, which must be the one-participant handler.
    const [c1, c2] = [
      await auth.register('e2e-media-1', ['service.write.mc', 'service.write.mh']),
      await auth.register('e2e-media-2', ['service.write.mc', 'service.write.mh']),
    ].sort((a, b) => (a.clientId < b.clientId ? -1 : 1)) as [ServiceClient, ServiceClient];
    mh1 = c1.clientId;
    mh2 = c2.clientId;
    mc = await buildMeetingController(
      loadMeetingConfig({
        env: {
          MC_PORT: '0',
          MC_WS_PORT: '0',
          MC_RPC_PORT: '0',
          MC_OPS_PORT: '0',
          JOIN_TOKEN_JWKS_URL: issuer.jwks.url,
          JOIN_TOKEN_ISSUERS: TEST_ISSUER,
          ...auth.env,
          MC_CLIENT_ID: mcClient.clientId,
          MC_CLIENT_SECRET: mcClient.clientSecret,
          MC_SWEEP_INTERVAL: '200ms',
          // Handlers heartbeat (and report telemetry) every second.
          MC_HANDLER_TIMEOUT: '3s',
          LOG_LEVEL: 'silent',
        },
      }),
    );
    const addresses = await mc.listen();
    signalingUrl = addresses.signaling.url;
    signalingHash = addresses.certificateHash;
    mcOps = addresses.ops.url;
    const mhEnv = (c: ServiceClient) => ({
      ...auth.env,
      MH_CLIENT_ID: c.clientId,
      MH_CLIENT_SECRET: c.clientSecret,
      MH_MEETING_CONTROLLER_URL: addresses.rpc.url,
    });
    // mh1 takes one participant: the first joiner lands there, everyone after on mh2 (cascade).
    handlers.push(
      ...(await Promise.all([
        startMediaHandler(mh1, { ...mhEnv(c1), MH_MAX_PARTICIPANTS: '1' }),
        startMediaHandler(mh2, mhEnv(c2)),
      ])),
    );
    // Ready = registered with the controller (over RPC, with a token from the Auth Controller).
    for (const h of handlers) {
      await eventually(async () => (await fetch(`${h.ops}/ready`)).status === 200, `${h.handlerId} ready`);
    }
  });

  after(async () => {
    for (const b of bots) b.close();
    await mc.close();
    const codes = await Promise.all(handlers.map((h) => h.stop()));
    await issuer[Symbol.asyncDispose]();
    await auth[Symbol.asyncDispose]();
    assert.deepEqual(
      codes,
      handlers.map(() => 0),
      'handlers exit cleanly',
    );
  });

  async function participant(meetingId: string, sub: string) {
    const signaling = await SignalingClient.open(
      await connectWebTransport(signalingUrl, { serverCertificateHashes: [signalingHash] }),
    );
    bots.push({ close: () => void signaling.close().catch(() => undefined) });
    const joined = expectKind(
      await signaling.request(
        {
          case: 'join',
          value: {
            meetingId,
            joinToken: await issuer.sign({ meetingId, sub, role: 'participant' }),
            protocolVersion: 1,
          },
        },
        15_000,
      ),
      'joinResponse',
    );
    const primary: MediaServerInfo | undefined = joined.mediaServers[0];
    assert.ok(primary !== undefined, `${sub} got a media server`);
    const media = await MediaBot.connect(
      await connectWebTransport(primary.mediaHandlerUrl, {
        serverCertificateHashes: primary.serverCertificateHashes,
      }),
      primary.connectionToken,
    );
    bots.push(media);
    return { signaling, media, handlerId: primary.handlerId, participantId: joined.participantId };
  }

  async function exchange(meetingId: string): Promise<{ publisher: string; subscriber: string }> {
    const alice = await participant(meetingId, `alice-${meetingId}`);
    const bob = await participant(meetingId, `bob-${meetingId}`);
    const cam = randomUUID();
    const published = expectKind(
      await alice.signaling.request(
        {
          case: 'publish',
          value: { streamId: cam, streamType: StreamType.VIDEO_CAMERA, metadata: { codec: 'vp09' } },
        },
        15_000,
      ),
      'streamPublished',
    );
    assert.deepEqual(published.handlerIds, [alice.handlerId]);
    expectKind(
      await bob.signaling.request({ case: 'subscribe', value: { streamId: cam } }, 15_000),
      'subscriptionAck',
    );
    const video = await alice.media.publish(cam, StreamType.VIDEO_CAMERA, 'vp09');
    const sums: string[] = [];
    for (let i = 0; i < 60; i++) {
      const payload = randomBytes(600 + i);
      sums.push(checksum(payload));
      await video.send(payload, i === 0);
    }
    await eventually(
      () => Promise.resolve(bob.media.frames(cam).length >= sums.length),
      `${sums.length} frames at ${bob.handlerId}`,
    );
    assert.deepEqual(
      bob.media.frames(cam).map((f) => checksum(f.payload)),
      sums,
      'identical bytes, in order',
    );
    return { publisher: alice.handlerId, subscriber: bob.handlerId };
  }

  test('across two media handlers, through the cascade the controller sets up', async () => {
    const where = await exchange(randomUUID());
    assert.deepEqual(where, { publisher: mh1, subscriber: mh2 });
  });

  test('on one media handler', async () => {
    const where = await exchange(randomUUID());
    assert.deepEqual(where, { publisher: mh2, subscriber: mh2 });
  });

  test('a late subscriber: the handler asks the publisher for a key frame and delivers from it', async () => {
    const meetingId = randomUUID();
    const alice = await participant(meetingId, 'alice-early');
    const bob = await participant(meetingId, 'bob-late');
    const cam = randomUUID();
    expectKind(
      await alice.signaling.request(
        {
          case: 'publish',
          value: { streamId: cam, streamType: StreamType.VIDEO_CAMERA, metadata: { codec: 'vp09' } },
        },
        15_000,
      ),
      'streamPublished',
    );
    const video = await alice.media.publish(cam, StreamType.VIDEO_CAMERA, 'vp09');
    for (let i = 0; i < 10; i++) await video.send(randomBytes(400), i === 0);
    // Older than the handler's fast start window (300 ms): the key frame is not replayed to Bob, a new one is asked for.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const before = alice.media.keyframeRequests.length;
    expectKind(
      await bob.signaling.request({ case: 'subscribe', value: { streamId: cam } }, 15_000),
      'subscriptionAck',
    );
    // Delta frames alone never reach Bob; the publisher is asked for a key frame.
    await eventually(
      () => Promise.resolve(alice.media.keyframeRequests.length > before),
      'a key frame request at the publisher',
    );
    assert.ok(alice.media.keyframeRequests.includes(cam));
    const sums: string[] = [];
    for (let i = 0; i < 10; i++) {
      const payload = randomBytes(400);
      sums.push(checksum(payload));
      await video.send(payload, i === 0);
    }
    await eventually(
      () =>
        Promise.resolve(
          bob.media
            .frames(cam)
            .map((f) => checksum(f.payload))
            .slice(-10)
            .join() === sums.join(),
        ),
      'the new frames at Bob',
    );
    // Frames of the first batch still in flight when the route appeared may arrive too, but Bob's stream always
    // starts with a key frame and carries identical bytes.
    const got = bob.media.frames(cam);
    assert.equal(got[0]?.header.frameType, FrameType.VideoKey);
    assert.deepEqual(
      got.slice(-10).map((f) => checksum(f.payload)),
      sums,
    );
  });

  test("a late viewer of a layout slot gets the publisher's video from a key frame", async () => {
    const meetingId = randomUUID();
    const alice = await participant(meetingId, 'alice-cam');
    const cam = randomUUID();
    expectKind(
      await alice.signaling.request(
        {
          case: 'publish',
          value: { streamId: cam, streamType: StreamType.VIDEO_CAMERA, metadata: { codec: 'vp09' } },
        },
        15_000,
      ),
      'streamPublished',
    );
    const video = await alice.media.publish(cam, StreamType.VIDEO_CAMERA, 'vp09');
    for (let i = 0; i < 5; i++) await video.send(randomBytes(400), i === 0);
    // Older than the handler's fast start window (300 ms): the key frame is not replayed to Bob, a new one is asked for.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const bob = await participant(meetingId, 'bob-viewer');
    const slot = randomUUID();
    const before = alice.media.keyframeRequests.length;
    const layout = expectKind(
      await bob.signaling.request(
        {
          case: 'layoutRequest',
          value: { layout: { case: 'grid', value: { rows: 1, columns: 1 } }, slotStreamIds: [slot] },
        },
        15_000,
      ),
      'layoutUpdate',
    );
    assert.deepEqual(
      layout.added.map((a) => [a.slotStreamId, a.sourceStreamId]),
      [[slot, cam]],
    );
    await eventually(
      () => Promise.resolve(alice.media.keyframeRequests.length > before),
      'a key frame request at the publisher',
    );
    const sums: string[] = [];
    for (let i = 0; i < 10; i++) {
      const payload = randomBytes(400);
      sums.push(checksum(payload));
      await video.send(payload, i === 0);
    }
    await eventually(
      () =>
        Promise.resolve(
          bob.media
            .frames(slot)
            .map((f) => checksum(f.payload))
            .slice(-10)
            .join() === sums.join(),
        ),
      "the frames in Bob's slot",
    );
  });

  test('audio levels a media handler measures reach the active speaker detector (ReportTelemetry)', async () => {
    const meetingId = randomUUID();
    const alice = await participant(meetingId, 'alice-speaker');
    const bob = await participant(meetingId, 'bob-listener');
    const mic = randomUUID();
    expectKind(
      await alice.signaling.request(
        {
          case: 'publish',
          value: { streamId: mic, streamType: StreamType.AUDIO, metadata: { codec: 'opus' } },
        },
        15_000,
      ),
      'streamPublished',
    );
    const audio = await alice.media.publish(mic, StreamType.AUDIO, 'opus');
    // Loud frames (RFC 6464: 6 = -6 dBov) until the controller names Alice the active speaker.
    const stop = new AbortController();
    const sender = (async () => {
      for (let i = 0; !stop.signal.aborted && i < 2000; i++) {
        await audio.send(randomBytes(80), true, 6);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      const update = await bob.signaling.next('activeSpeaker', 15_000);
      assert.equal(update.participantIds[0], alice.participantId);
    } finally {
      stop.abort();
      await sender;
    }
  });

  test("the controller's /metrics counts the media handlers registered with it, by health", async () => {
    const text = await (await fetch(`${mcOps}/metrics`)).text();
    assert.match(text, /^dt_mc_media_handlers\{health="healthy",region="[^"]*"\} 2$/m);
    assert.match(text, /^dt_mc_media_handlers\{health="unhealthy",region="[^"]*"\} 0$/m);
  });

  test('media handlers refuse RPC without a valid service token', async () => {
    const h = handlers[0];
    assert.ok(h !== undefined);
    for (const header of [undefined, 'Bearer not.a.jwt']) {
      const client = createClient(
        MediaHandlerService,
        createConnectTransport({
          baseUrl: h.rpc,
          httpVersion: '1.1',
          interceptors:
            header === undefined
              ? []
              : [
                  (next) => (req) => {
                    req.header.set('authorization', header);
                    return next(req);
                  },
                ],
        }),
      );
      await assert.rejects(
        client.getStats({}),
        (e: unknown) => e instanceof ConnectError && e.code === Code.Unauthenticated,
      );
    }
  });
});
