// A cascade link that fails to come up because the handler's dial to its peer failed is retried; the handler
// answered, so it is not failed over (that is for handlers that cannot be reached). A handler that could not be
// reached is failed over, and its links are forgotten: back under the same id, its links are dialed anew.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { StreamType } from '@darktower/protocol';
import { HandlerId } from '../ids.ts';
import { defaultAssignmentOptions } from '../routing/assign-handlers.ts';
import { MemoryMeetingStore } from '../state/memory-meeting-store.ts';
import { Harness, MH1, MH2, newStreamId } from '../testing/harness.ts';
import { defaultRoomOptions } from './room-types.ts';

const openStore = (clock: Parameters<Parameters<typeof Harness.start>[0]>[0]) =>
  Promise.resolve(new MemoryMeetingStore(clock));

test('a failed cascade dial is retried, and the handler that answered is not failed over', async () => {
  await using h = await Harness.start(openStore, {
    // One participant of a meeting per handler: the second is placed on the other handler.
    roomOptions: {
      ...defaultRoomOptions,
      assignment: { ...defaultAssignmentOptions, maxMeetingParticipantsPerHandler: 1 },
    },
  });
  const meeting = randomUUID();
  const a = await h.join(meeting, 'a');
  const b = await h.join(meeting, 'b');
  assert.equal(a.response.mediaServers[0]?.handlerId, MH1);
  assert.equal(b.response.mediaServers[0]?.handlerId, MH2);
  h.media.cascadeDialFailures = 2;
  const cam = newStreamId();
  const reply = await a.client.request({
    case: 'publish',
    value: { streamId: cam, streamType: StreamType.VIDEO_CAMERA, metadata: { codec: 'VP8' } },
  });
  assert.equal(reply.kind.case, 'streamPublished');
  await b.client.request({ case: 'subscribe', value: { streamId: cam } });
  // The route to MH2 is in place at once; the link behind it comes up on a retry (1 s, then 2 s).
  for (let i = 0; i < 100 && !h.media.cascades.has(`${MH1}>${MH2}`); i++)
    await new Promise((r) => setTimeout(r, 50));
  assert.ok(h.media.cascades.has(`${MH1}>${MH2}`), 'the cascade came up on a retry');
  assert.equal(h.media.cascadeAttempts, 3);
  assert.notEqual(h.handlers.get(MH1)?.health, 'unhealthy', 'MH1 answered: not failed over');
  assert.ok(
    [...h.media.routes.values()].some((r) => r.handlerId === MH1 && r.to === `h:${MH2}`),
    'MH1 forwards the camera to MH2',
  );
  // The other direction rides the same link: no second dial (two handlers dialing each other at once would each
  // replace the other's link).
  const bobCam = newStreamId();
  await b.client.request({
    case: 'publish',
    value: { streamId: bobCam, streamType: StreamType.VIDEO_CAMERA, metadata: { codec: 'VP8' } },
  });
  await a.client.request({ case: 'subscribe', value: { streamId: bobCam } });
  assert.ok([...h.media.routes.values()].some((r) => r.handlerId === MH2 && r.to === `h:${MH1}`));
  assert.equal(h.media.cascadeAttempts, 3);
});

test('a handler failed over during a route update and back again gets its cascade links dialed anew', async () => {
  await using h = await Harness.start(openStore, {
    roomOptions: {
      ...defaultRoomOptions,
      assignment: { ...defaultAssignmentOptions, maxMeetingParticipantsPerHandler: 1 },
    },
  });
  const meeting = randomUUID();
  const a = await h.join(meeting, 'a');
  const b = await h.join(meeting, 'b');
  const primaryOf = (j: typeof a): string | undefined => j.response.mediaServers[0]?.handlerId;
  assert.equal(primaryOf(a), MH1);
  assert.equal(primaryOf(b), MH2);
  const cam = newStreamId();
  await a.client.request({
    case: 'publish',
    value: { streamId: cam, streamType: StreamType.VIDEO_CAMERA, metadata: { codec: 'VP8' } },
  });
  await b.client.request({ case: 'subscribe', value: { streamId: cam } });
  assert.ok(h.media.cascades.has(`${MH1}>${MH2}`));

  // A third handler, for b to move to.
  const MH3 = HandlerId('mh3');
  h.handlers.register({
    handlerId: MH3,
    region: 'test',
    mediaUrl: `https://${MH3}.test:4434`,
    rpcUrl: `http://${MH3}.test`,
    capacity: { maxParticipants: 100, maxStreams: 1000 },
  });
  // MH2 cannot be reached when the next route update goes out: failed over (not through handlersFailed).
  h.media.failing.add(MH2);
  const mic = newStreamId();
  await a.client.request({
    case: 'publish',
    value: { streamId: mic, streamType: StreamType.AUDIO, metadata: { codec: 'opus' } },
  });
  await b.client.request({ case: 'subscribe', value: { streamId: mic } });
  assert.equal(h.handlers.get(MH2)?.health, 'unhealthy');

  // MH2 restarts under the same id (its links are gone) and takes a newcomer: the link to it is needed again.
  h.media.failing.delete(MH2);
  h.media.cascades.clear();
  h.handlers.heartbeat(MH2, { participants: 0, streams: 0 });
  const c = await h.join(meeting, 'c');
  assert.equal(primaryOf(c), MH2);
  await c.client.request({ case: 'subscribe', value: { streamId: cam } });
  assert.ok(
    [...h.media.routes.values()].some((r) => r.handlerId === MH1 && r.to === `h:${MH2}`),
    'MH1 forwards the camera to MH2',
  );
  assert.ok(h.media.cascades.has(`${MH1}>${MH2}`), 'the link to the restarted MH2 was dialed again');
});
