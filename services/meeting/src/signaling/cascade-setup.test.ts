// A cascade link that fails to come up because the handler's dial to its peer failed is retried; the handler
// answered, so it is not failed over (that is for handlers that cannot be reached).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { StreamType } from '@darktower/protocol';
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
