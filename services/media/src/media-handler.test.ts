import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { randomBytes } from 'node:crypto';
import {
  encodeMediaFrame,
  FrameType,
  MediaTransport,
  micros,
  parseStreamId,
  RouteAction,
  RouteMediaRequestSchema,
  StreamType,
} from '@darktower/protocol';
import { isMediaError } from './errors.ts';
import { MediaHandlerCore } from './media-handler.ts';
import { checksum } from './testing/frames.ts';
import { connectBot, coreOptions, register } from './testing/harness.ts';
import type { MediaBot } from './testing/media-bot.ts';

const until = async (cond: () => boolean, what: string, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

let version = 0n;
function route(
  core: MediaHandlerCore,
  meetingId: string,
  source: string,
  participants: string[],
  action = RouteAction.ADD,
) {
  version++;
  return core.routeMedia(
    create(RouteMediaRequestSchema, {
      meetingId,
      planVersion: version,
      commands: [
        {
          sourceStreamId: source,
          action,
          destinations: participants.map((p) => ({
            target: { case: 'local' as const, value: { participantId: p } },
          })),
        },
      ],
    }),
  );
}

describe('MediaHandlerCore over in-memory sessions', () => {
  test('every frame arrives with identical bytes, in order, with its sequence number', async () => {
    const core = new MediaHandlerCore(coreOptions());
    const alice = register(core, 'm1', 'alice');
    const bob = register(core, 'm1', 'bob');
    const a = await connectBot(core, alice.token);
    const b = await connectBot(core, bob.token);
    assert.deepEqual(new Set(a.publishIds), new Set([alice.video, alice.audio]));
    route(core, 'm1', alice.video, ['bob']);
    route(core, 'm1', alice.audio, ['bob']);
    const video = await a.publish(alice.video, StreamType.VIDEO_CAMERA, 'vp09');
    const audio = await a.publish(alice.audio, StreamType.AUDIO, 'opus');
    // The subscriber asked for a key frame on its behalf as soon as the route existed.
    await until(() => a.keyframeRequests.includes(alice.video), 'a key frame request to the publisher');
    const sent: string[] = [];
    for (let i = 0; i < 200; i++) {
      const payload = randomBytes(200 + (i % 7) * 100); // stands in for SFrame ciphertext: opaque to the handler
      sent.push(checksum(payload));
      await video.send(payload, i % 50 === 0);
      await audio.send(randomBytes(80), false, 30);
      await new Promise((r) => setImmediate(r)); // paced, as capture is
    }
    await until(
      () => b.frames(alice.video).length === 200 && b.frames(alice.audio).length === 200,
      'all frames',
    );
    const got = b.frames(alice.video);
    assert.deepEqual(
      got.map((f) => f.header.sequence),
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      got.map((f) => checksum(f.payload)),
      sent,
    );
    const t = core.telemetry().find((x) => x.streamId === alice.audio);
    assert.ok(t);
    assert.equal(t.audioLevel, 30);
    assert.equal(t.framesReceived, 200n);
    assert.equal(t.packetLoss, 0);
    core.close();
  });

  test('a subscriber that does not read does not slow the publisher or a fast subscriber', async () => {
    const core = new MediaHandlerCore(coreOptions({ output: { maxFrames: 16, maxBytes: 1 << 20 } }));
    const alice = register(core, 'm1', 'alice');
    const bob = register(core, 'm1', 'bob');
    const carol = register(core, 'm1', 'carol');
    const a = await connectBot(core, alice.token);
    const b = await connectBot(core, bob.token);
    await connectBot(core, carol.token, { stall: true });
    route(core, 'm1', alice.video, ['bob', 'carol']);
    const video = await a.publish(alice.video, StreamType.VIDEO_CAMERA, 'vp09');
    const n = 1000;
    for (let i = 0; i < n; i++) {
      await video.send(randomBytes(1000), i % 100 === 0);
      // A camera paces its frames; give the event loop a turn between them as real time would.
      await new Promise((r) => setImmediate(r));
    }
    await until(() => b.frames(alice.video).length === n, 'the fast subscriber to get everything');
    // bob's quality report is kept for the controller (StreamQualityUpdate via ReportTelemetry)
    await b.feedback(alice.video, 1_500_000);
    await until(() => core.quality('m1').length === 1, 'the quality report');
    assert.equal(core.quality('m1')[0]?.update?.availableBitrate, 1_500_000);
    assert.equal(core.quality('m1')[0]?.subscriberParticipantId, 'bob');
    const fast = core.forwarder.outputCounters(alice.video as never, {
      kind: 'participant',
      participantId: 'bob' as never,
    });
    const slow = core.forwarder.outputCounters(alice.video as never, {
      kind: 'participant',
      participantId: 'carol' as never,
    });
    assert.equal(fast?.framesDropped, 0);
    assert.ok(
      slow !== undefined && slow.framesDropped > n / 2,
      `slow subscriber dropped ${slow?.framesDropped}`,
    );
    assert.ok(core.forwarder.totals().queueDepth <= 16 * 2);
    core.close();
  });

  test('audio as datagrams: datagrams in, datagrams out, bytes unchanged, announced as datagram streams', async () => {
    const core = new MediaHandlerCore(
      coreOptions({
        connection: {
          maxPayloadLength: 65536,
          maxIngestStreams: 8,
          datagramsPerSecond: 10_000,
          audioAsDatagrams: true,
        },
      }),
    );
    const alice = register(core, 'm1', 'alice');
    const bob = register(core, 'm1', 'bob');
    const a = await connectBot(core, alice.token);
    const b = await connectBot(core, bob.token);
    route(core, 'm1', alice.audio, ['bob']);
    const sent: string[] = [];
    for (let i = 1; i <= 50; i++) {
      const payload = randomBytes(120);
      sent.push(checksum(payload));
      await a.sendDatagram(
        encodeMediaFrame(
          {
            frameType: FrameType.Audio,
            streamId: parseStreamId(alice.audio),
            timestamp: micros(Date.now() * 1000),
            sequence: i,
            payloadLength: 120,
            endOfFrame: true,
            discardable: false,
            audioLevel: { level: 20, voiceActivity: true },
          },
          payload,
        ),
      );
      await new Promise((r) => setImmediate(r));
    }
    await until(() => b.frames(alice.audio).length === 50, 'audio datagrams at bob');
    assert.deepEqual(
      b.frames(alice.audio).map((f) => checksum(f.payload)),
      sent,
    );
    const announced = b.server.find((m) => m.kind.case === 'streamAnnouncement');
    assert.equal(
      announced?.kind.case === 'streamAnnouncement' ? announced.kind.value.transport : undefined,
      MediaTransport.DATAGRAM,
    );
    assert.equal(core.telemetry().find((t) => t.streamId === alice.audio)?.voiceActivity, true);
    core.close();
  });

  test('a session without auth is closed after the deadline with 0x02', async () => {
    const core = new MediaHandlerCore(coreOptions({ authTimeoutMs: 50 }));
    const { createMemorySessionPair } = await import('@darktower/transport');
    const [client, server] = createMemorySessionPair();
    core.acceptSession(server);
    const info = await client.closed;
    assert.equal(info.closeCode, 0x02);
    assert.equal(core.counters.authTimeouts, 1);
    core.close();
  });

  test('a connection token works once', async () => {
    const core = new MediaHandlerCore(coreOptions());
    const alice = register(core, 'm1', 'alice');
    const first = await connectBot(core, alice.token);
    await assert.rejects(connectBot(core, alice.token), /unknown or already used/);
    await assert.rejects(connectBot(core, 'not-a-token'), /invalid connection token/);
    first.close();
    core.close();
  });

  test('registration is refused at 80% of the configured bandwidth', () => {
    const core = new MediaHandlerCore(coreOptions());
    const m = core.capacity;
    m.sample(0);
    m.addIn((m.maxBandwidthBps * 0.85) / 8);
    m.sample(1000);
    assert.equal(m.level, 'refuse');
    assert.throws(
      () => register(core, 'm1', 'zed'),
      (e) => isMediaError(e, 'CAPACITY_EXCEEDED'),
    );
    core.close();
  });

  test('a new session is refused at 80% of the configured bandwidth, even with a valid token', async () => {
    const core = new MediaHandlerCore(coreOptions());
    const alice = register(core, 'm1', 'alice');
    const m = core.capacity;
    m.sample(0);
    m.addIn((m.maxBandwidthBps * 0.85) / 8);
    m.sample(1000);
    assert.equal(m.level, 'refuse');
    await assert.rejects(connectBot(core, alice.token), /80%/);
    assert.equal(core.counters.refusedAtCapacity, 1);
    assert.equal(core.sessionCount, 0);
    core.close();
  });

  test('route plans are versioned: a stale plan is refused', () => {
    const core = new MediaHandlerCore(coreOptions());
    const alice = register(core, 'm2', 'alice');
    route(core, 'm2', alice.video, ['bob']);
    assert.throws(
      () =>
        core.routeMedia(create(RouteMediaRequestSchema, { meetingId: 'm2', planVersion: 1n, commands: [] })),
      (e) => isMediaError(e, 'CONFLICT'),
    );
    core.close();
  });
});

export type { MediaBot };
