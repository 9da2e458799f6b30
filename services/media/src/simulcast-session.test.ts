import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { randomBytes } from 'node:crypto';
import {
  randomStreamId,
  RegisterParticipantRequestSchema,
  RouteMediaRequestSchema,
  StreamType,
} from '@darktower/protocol';
import { MediaHandlerCore } from './media-handler.ts';
import { connectBot, coreOptions, register } from './testing/harness.ts';

const until = async (cond: () => boolean, what: string, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('simulcast over sessions: one forwarded stream under the group id, layer chosen by feedback, switched at a key frame', async () => {
  const core = new MediaHandlerCore(coreOptions());
  const group = randomStreamId();
  const low = randomStreamId();
  const high = randomStreamId();
  const reg = core.registerParticipant(
    create(RegisterParticipantRequestSchema, {
      participant: {
        participantId: 'alice',
        meetingId: 'm1',
        streams: [
          {
            streamId: group,
            streamType: StreamType.VIDEO_CAMERA,
            metadata: {
              // The controller passes the codec name the client announced; subscribers need a FourCC.
              codec: 'VP9',
              video: {
                simulcastLayers: [
                  { layerId: 'l', streamId: low, maxBitrate: 150_000 },
                  { layerId: 'h', streamId: high, maxBitrate: 2_000_000 },
                ],
              },
            },
          },
        ],
      },
    }),
  );
  assert.deepEqual(new Set(reg.assignedStreamIds), new Set([low, high]));
  const bob = register(core, 'm1', 'bob');
  const a = await connectBot(core, reg.connectionToken);
  const b = await connectBot(core, bob.token);
  core.routeMedia(
    create(RouteMediaRequestSchema, {
      meetingId: 'm1',
      planVersion: 1n,
      commands: [{ sourceStreamId: group, destinationParticipantIds: ['bob'] }],
    }),
  );
  const lo = await a.publish(low, StreamType.VIDEO_CAMERA, 'vp09');
  const hi = await a.publish(high, StreamType.VIDEO_CAMERA, 'vp09');
  const both = async (key: boolean) => {
    await lo.send(randomBytes(50), key);
    await hi.send(randomBytes(500), key);
    await new Promise((r) => setImmediate(r));
  };
  await both(true);
  await both(false);
  await until(() => b.frames(group).length === 2, 'the high layer under the group id');
  assert.ok(b.frames(group).every((f) => f.payload.length === 500));
  // bob reports 300 kbit/s: only the low layer fits; it switches at the next key frame, not before.
  await b.feedback(group, 300_000);
  await until(() => a.keyframeRequests.includes(low), 'a key frame request for the low layer');
  await both(false);
  await both(true);
  await both(false);
  await until(() => b.frames(group).length === 5, 'frames after the switch');
  assert.deepEqual(
    b.frames(group).map((f) => f.payload.length),
    [500, 500, 500, 50, 50],
  );
  assert.ok(b.frames(group).every((f) => f.header.streamId === group));
  assert.deepEqual(b.streamErrors, []);
  core.close();
});
