import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { randomBytes } from 'node:crypto';
import { RouteMediaRequestSchema, SetupCascadeRequestSchema, StreamType } from '@darktower/protocol';
import { asHandlerId } from './ids.ts';
import { MediaHandlerCore } from './media-handler.ts';
import { checksum } from './testing/frames.ts';
import { connectBot, coreOptions, MemoryNetwork, register, serviceToken } from './testing/harness.ts';

const until = async (cond: () => boolean, what: string, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

function twoHandlers() {
  const net = new MemoryNetwork();
  const h1 = new MediaHandlerCore(
    coreOptions({ handlerId: asHandlerId('mh1'), mediaUrl: () => 'mem://mh1', dialer: net.dialer }),
  );
  const h2 = new MediaHandlerCore(
    coreOptions({ handlerId: asHandlerId('mh2'), mediaUrl: () => 'mem://mh2', dialer: net.dialer }),
  );
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

  test('a cascade commanded again replaces the link it dialed; the peer reuses the link it did not dial', async () => {
    const { h1, h2 } = twoHandlers();
    const alice = register(h1, 'm1', 'alice');
    const dave = register(h2, 'm1', 'dave');
    const a = await connectBot(h1, alice.token);
    const d = await connectBot(h2, dave.token);
    const cascade = (from: MediaHandlerCore, peer: string, version: bigint) =>
      from
        .setupCascade(
          create(SetupCascadeRequestSchema, {
            meetingId: 'm1',
            peerHandlerId: peer,
            peerMediaUrl: `mem://${peer}`,
            serviceToken: serviceToken(from.handlerId, 'test-secret'),
          }),
        )
        .then(() => version);
    await cascade(h1, 'mh2', 1n);
    await until(() => h2.cascadeCount === 1, 'the link on the far side');
    const first = h1.cascade(asHandlerId('mh2'));
    const far = h2.cascade(asHandlerId('mh1'));
    assert.ok(first !== undefined && far !== undefined);
    // The far side is asked for the same pair: it keeps the link mh1 dialed.
    await cascade(h2, 'mh1', 1n);
    assert.equal(h2.cascade(asHandlerId('mh1')), far);
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
    // mh1 is told again (the controller saw mh2 fail and come back): the old link goes, a new one carries media.
    await cascade(h1, 'mh2', 2n);
    const second = h1.cascade(asHandlerId('mh2'));
    assert.ok(second !== undefined && second !== first);
    await first.closed;
    await far.closed;
    await until(() => h2.cascadeCount === 1 && h2.cascade(asHandlerId('mh1')) !== far, 'the new far side');
    const video = await a.publish(alice.video, StreamType.VIDEO_CAMERA, 'vp09');
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      const payload = randomBytes(300);
      sent.push(checksum(payload));
      await video.send(payload, i === 0);
      await new Promise((r) => setImmediate(r));
    }
    await until(() => d.frames(alice.video).length === 20, 'frames over the new link');
    assert.deepEqual(
      d.frames(alice.video).map((f) => checksum(f.payload)),
      sent,
    );
    h1.close();
    h2.close();
  });
});
