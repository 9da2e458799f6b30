import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { randomBytes } from 'node:crypto';
import { RouteMediaRequestSchema, SetupCascadeRequestSchema, StreamType } from '@darktower/protocol';
import { asHandlerId } from './ids.ts';
import { MediaHandlerCore, type MediaHandlerCoreOptions } from './media-handler.ts';
import { checksum } from './testing/frames.ts';
import { ManualClock } from './testing/manual-clock.ts';
import { connectBot, coreOptions, MemoryNetwork, register, serviceToken } from './testing/harness.ts';

const until = async (cond: () => boolean, what: string, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

function twoHandlers(connection?: MediaHandlerCoreOptions['connection'], clock?: ManualClock) {
  const net = new MemoryNetwork();
  const options = (id: string) => {
    const base = coreOptions({
      handlerId: asHandlerId(id),
      mediaUrl: () => `mem://${id}`,
      dialer: net.dialer,
      ...(clock === undefined ? {} : { clock }),
    });
    return connection === undefined ? base : { ...base, connection };
  };
  const h1 = new MediaHandlerCore(options('mh1'));
  const h2 = new MediaHandlerCore(options('mh2'));
  net.add('mem://mh1', h1);
  net.add('mem://mh2', h2);
  return { h1, h2 };
}

describe('cascading between two handlers', () => {
  test('a stream published on one handler reaches a subscriber on the other, byte for byte', async () => {
    const { h1, h2 } = twoHandlers();
    const alice = register(h1, 'm1', 'alice');
    const dave = register(h2, 'm1', 'dave');
    const a = await connectBot(h1, alice.token);
    const d = await connectBot(h2, dave.token);
    // A service token is not a connection token: a wrong one is refused.
    await assert.rejects(
      h1.setupCascade(
        create(SetupCascadeRequestSchema, {
          meetingId: 'm1',
          peerHandlerId: 'mh2',
          peerMediaUrl: 'mem://mh2',
          serviceToken: 'svc.mh1.wrong',
        }),
      ),
    );
    await h1.setupCascade(
      create(SetupCascadeRequestSchema, {
        meetingId: 'm1',
        peerHandlerId: 'mh2',
        peerMediaUrl: 'mem://mh2',
        serviceToken: serviceToken('mh1', 'test-secret'),
      }),
    );
    await until(() => h2.cascadeCount === 1, 'the link on the far side');
    h1.routeMedia(
      create(RouteMediaRequestSchema, {
        meetingId: 'm1',
        planVersion: 1n,
        commands: [
          {
            sourceStreamId: alice.video,
            destinations: [{ target: { case: 'remote', value: { handlerId: 'mh2' } } }],
          },
        ],
      }),
    );
    h2.routeMedia(
      create(RouteMediaRequestSchema, {
        meetingId: 'm1',
        planVersion: 1n,
        commands: [
          { sourceStreamId: alice.video, destinationParticipantIds: ['dave'] },
          // An attempt to send it back to mh1: a frame that came over a cascade link never goes out on one.
          {
            sourceStreamId: alice.video,
            destinations: [{ target: { case: 'remote', value: { handlerId: 'mh1' } } }],
          },
        ],
      }),
    );
    const video = await a.publish(alice.video, StreamType.VIDEO_CAMERA, 'vp09');
    const sent: string[] = [];
    for (let i = 0; i < 100; i++) {
      const payload = randomBytes(500);
      sent.push(checksum(payload));
      await video.send(payload, i % 25 === 0);
      await new Promise((r) => setImmediate(r));
    }
    await until(() => d.frames(alice.video).length === 100, 'all frames at dave');
    assert.deepEqual(
      d.frames(alice.video).map((f) => checksum(f.payload)),
      sent,
    );
    assert.deepEqual(
      d.frames(alice.video).map((f) => f.header.sequence),
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    const back = h2.forwarder.outputCounters(alice.video as never, {
      kind: 'handler',
      handlerId: asHandlerId('mh1'),
    });
    assert.equal(back?.framesForwarded ?? 0, 0);
    assert.equal(h1.cascade(asHandlerId('mh2'))?.counters.streamsRejected, 0);
    // A key frame request from dave travels back over the link to alice.
    const before = a.keyframeRequests.length;
    await new Promise((r) => setTimeout(r, 120)); // past the per-stream request interval
    await d.requestKeyframe(alice.video);
    await until(() => a.keyframeRequests.length > before, 'the key frame request at the publisher');
    h1.close();
    h2.close();
  });

  test('a cascade commanded again keeps a live link (either side); a link gone quiet is dialed anew', async () => {
    const clock = new ManualClock(10_000);
    const { h1, h2 } = twoHandlers(undefined, clock);
    const alice = register(h1, 'm1', 'alice');
    const dave = register(h2, 'm1', 'dave');
    const a = await connectBot(h1, alice.token);
    const d = await connectBot(h2, dave.token);
    const cascade = (from: MediaHandlerCore, peer: string, meetingId = 'm1') =>
      from.setupCascade(
        create(SetupCascadeRequestSchema, {
          meetingId,
          peerHandlerId: peer,
          peerMediaUrl: `mem://${peer}`,
          serviceToken: serviceToken(from.handlerId, 'test-secret'),
        }),
      );
    await cascade(h1, 'mh2');
    await until(() => h2.cascadeCount === 1, 'the link on the far side');
    const first = h1.cascade(asHandlerId('mh2'));
    const far = h2.cascade(asHandlerId('mh1'));
    assert.ok(first !== undefined && far !== undefined);
    h1.routeMedia(
      create(RouteMediaRequestSchema, {
        meetingId: 'm1',
        planVersion: 1n,
        commands: [
          {
            sourceStreamId: alice.video,
            destinations: [{ target: { case: 'remote', value: { handlerId: 'mh2' } } }],
          },
        ],
      }),
    );
    h2.routeMedia(
      create(RouteMediaRequestSchema, {
        meetingId: 'm1',
        planVersion: 1n,
        commands: [{ sourceStreamId: alice.video, destinationParticipantIds: ['dave'] }],
      }),
    );
    const video = await a.publish(alice.video, StreamType.VIDEO_CAMERA, 'vp09');
    const sent: string[] = [];
    const send = async (n: number, key = false) => {
      for (let i = 0; i < n; i++) {
        const payload = randomBytes(300);
        sent.push(checksum(payload));
        await video.send(payload, sent.length === 1 || (key && i === 0));
        await new Promise((r) => setImmediate(r));
      }
      await until(() => d.frames(alice.video).length === sent.length, 'the frames at dave');
    };
    await send(5);

    // Other meetings need the same pair, from either side, while media flows (10 s later, heard all along): the
    // link stays, and no frame of the first meeting is lost.
    clock.advance(10_000);
    await send(5);
    await cascade(h1, 'mh2', 'm2');
    await cascade(h2, 'mh1', 'm3');
    assert.equal(h1.cascade(asHandlerId('mh2')), first, 'the dialing side keeps its live link');
    assert.equal(h2.cascade(asHandlerId('mh1')), far, 'the far side keeps the link it was dialed on');
    await send(5);

    // Nothing heard on the link for longer than the quiet limit (its peer died and came back, say): the next command
    // dials anew; the new link replaces the old one on both sides and carries the media.
    h1.tick();
    h2.tick();
    clock.advance(5_000);
    await cascade(h1, 'mh2', 'm4');
    const second = h1.cascade(asHandlerId('mh2'));
    assert.ok(second !== undefined && second !== first);
    await first.closed;
    await far.closed;
    await until(() => h2.cascadeCount === 1 && h2.cascade(asHandlerId('mh1')) !== far, 'the new far side');
    // The stream starts over on the new link: from a key frame (a client sends one when the handler asks).
    await send(5, true);
    assert.deepEqual(
      d.frames(alice.video).map((f) => checksum(f.payload)),
      sent,
    );
    h1.close();
    h2.close();
  });

  test('one link carries more relayed streams than a participant may publish (every meeting the pair shares)', async () => {
    // A participant may open 4 streams here; the link 64. Eight publishers in four meetings on mh1, one viewer per
    // meeting on mh2: eight relayed video streams on the one link, all delivered.
    const { h1, h2 } = twoHandlers({
      maxPayloadLength: 1024 * 1024,
      maxIngestStreams: 4,
      maxCascadeIngestStreams: 64,
      datagramsPerSecond: 2000,
      audioAsDatagrams: false,
    });
    await h1.setupCascade(
      create(SetupCascadeRequestSchema, {
        meetingId: 'm0',
        peerHandlerId: 'mh2',
        peerMediaUrl: 'mem://mh2',
        serviceToken: serviceToken('mh1', 'test-secret'),
      }),
    );
    await until(() => h2.cascadeCount === 1, 'the link on the far side');
    const viewers = new Map<string, Awaited<ReturnType<typeof connectBot>>>();
    const streams: { meeting: string; video: string; bot: Awaited<ReturnType<typeof connectBot>> }[] = [];
    for (let m = 0; m < 4; m++) {
      const meeting = `m${String(m)}`;
      const viewer = register(h2, meeting, `viewer-${meeting}`);
      viewers.set(meeting, await connectBot(h2, viewer.token));
      for (let k = 0; k < 2; k++) {
        const p = register(h1, meeting, `p${String(m)}-${String(k)}`);
        streams.push({ meeting, video: p.video, bot: await connectBot(h1, p.token) });
      }
    }
    for (const [meeting, list] of Map.groupBy(streams, (x) => x.meeting)) {
      h1.routeMedia(
        create(RouteMediaRequestSchema, {
          meetingId: meeting,
          planVersion: 1n,
          commands: list.map((x) => ({
            sourceStreamId: x.video,
            destinations: [{ target: { case: 'remote' as const, value: { handlerId: 'mh2' } } }],
          })),
        }),
      );
      h2.routeMedia(
        create(RouteMediaRequestSchema, {
          meetingId: meeting,
          planVersion: 1n,
          commands: list.map((x) => ({
            sourceStreamId: x.video,
            destinationParticipantIds: [`viewer-${meeting}`],
          })),
        }),
      );
    }
    const senders = await Promise.all(
      streams.map((x) => x.bot.publish(x.video, StreamType.VIDEO_CAMERA, 'vp09')),
    );
    for (let i = 0; i < 5; i++) {
      for (const sender of senders) await sender.send(randomBytes(200), i === 0);
      await new Promise((r) => setImmediate(r));
    }
    await until(
      () => streams.every((x) => (viewers.get(x.meeting)?.frames(x.video).length ?? 0) === 5),
      'every relayed stream at its viewer',
    );
    assert.equal(h2.cascade(asHandlerId('mh1'))?.counters.streamsRejected, 0);
    h1.close();
    h2.close();
  });
});
