import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { ParticipantCapabilitiesSchema, SimulcastLayerSchema, StreamType } from '@darktower/protocol';
import { isMeetingError } from '../errors.ts';
import type { HandlerId } from '../ids.ts';
import type { StreamRecord } from '../state/records.ts';
import { MemoryMeetingStore } from '../state/memory-meeting-store.ts';
import { Harness } from '../testing/harness.ts';
import { simulcastLayersOf, videoCodecsOf } from './stream-capabilities.ts';

type Registration = Parameters<Harness['media']['registerParticipant']>[1];

const layer = (layerId: string, streamId: string, height: number) =>
  create(SimulcastLayerSchema, {
    layerId,
    streamId,
    width: (height * 4) / 3,
    height,
    maxBitrate: height * 2000,
  });

test('decodable codecs: de-duplicated, bounded, VP8 when none are named', () => {
  assert.deepEqual(videoCodecsOf(undefined), ['VP8']);
  assert.deepEqual(videoCodecsOf(create(ParticipantCapabilitiesSchema, { videoCodecs: [' ', ''] })), ['VP8']);
  assert.deepEqual(
    videoCodecsOf(create(ParticipantCapabilitiesSchema, { videoCodecs: ['VP8', 'vp9', 'VP9', 'AV1'] })),
    ['VP8', 'vp9', 'AV1'],
  );
  const many = Array.from({ length: 20 }, (_, i) => `C${i}`);
  assert.equal(videoCodecsOf(create(ParticipantCapabilitiesSchema, { videoCodecs: many })).length, 8);
});

test('simulcast layers: kept low to high with their stream ids; bad ids and duplicates refused', () => {
  const group = randomUUID();
  const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
  assert.deepEqual(simulcastLayersOf(group, []), []);
  const layers = simulcastLayersOf(group, [layer('q', a, 120), layer('h', b, 240), layer('f', c, 480)]);
  assert.deepEqual(
    layers.map((l) => [l.layerId, l.streamId, l.height]),
    [
      ['q', a, 120],
      ['h', b, 240],
      ['f', c, 480],
    ],
  );
  const refused = (ls: ReturnType<typeof layer>[]): void => {
    assert.throws(
      () => simulcastLayersOf(group, ls),
      (e) => isMeetingError(e),
    );
  };
  refused([layer('q', 'not-a-uuid', 120)]);
  refused([layer('q', group, 120)]);
  refused([layer('q', a, 120), layer('h', a, 240)]);
  refused([layer('q', a, 120), layer('q', b, 240)]);
  refused([layer('', a, 120)]);
  refused(Array.from({ length: 5 }, (_, i) => layer(`l${i}`, randomUUID(), 120)));
});

test('the controller passes codecs and simulcast layers on: to other participants and to the media handlers', async () => {
  await using h = await Harness.start((clock) => Promise.resolve(new MemoryMeetingStore(clock)));
  const registered: StreamRecord[][] = [];
  const register = h.media.registerParticipant.bind(h.media);
  h.media.registerParticipant = (handlerId: HandlerId, request: Registration) => {
    registered.push([...request.streams]);
    return register(handlerId, request);
  };
  const meeting = randomUUID();
  const join = async (sub: string, videoCodecs: string[]) => {
    const client = await h.connect();
    const reply = await client.request({
      case: 'join',
      value: {
        meetingId: meeting,
        joinToken: await h.issuer.sign({ meetingId: meeting, sub }),
        participantName: sub,
        protocolVersion: 1,
        capabilities: { videoCodecs },
      },
    });
    assert.equal(reply.kind.case, 'joinResponse');
    return { client, response: reply.kind.value };
  };
  const alice = await join('alice', ['VP8', 'VP9', 'AV1']);
  const bob = await join('bob', ['VP8', 'VP9']);
  assert.deepEqual(
    bob.response.existingParticipants.map((p) => p.videoCodecs),
    [['VP8', 'VP9', 'AV1']],
  );
  const joined = await alice.client.next('participantJoined');
  assert.deepEqual(joined.participant?.videoCodecs, ['VP8', 'VP9']);

  const group = randomUUID();
  const ids = [randomUUID(), randomUUID(), randomUUID()];
  const reply = await alice.client.request({
    case: 'publish',
    value: {
      streamId: group,
      streamType: StreamType.VIDEO_CAMERA,
      metadata: {
        codec: 'VP9',
        video: {
          width: 640,
          height: 480,
          framerate: 30,
          simulcastLayers: [
            layer('q', ids[0] ?? '', 120),
            layer('h', ids[1] ?? '', 240),
            layer('f', ids[2] ?? '', 480),
          ],
        },
      },
    },
  });
  assert.equal(reply.kind.case, 'streamPublished');
  const seen = await bob.client.next('streamPublished');
  assert.deepEqual(
    seen.stream?.metadata?.video?.simulcastLayers.map((l) => [l.layerId, l.streamId]),
    [
      ['q', ids[0]],
      ['h', ids[1]],
      ['f', ids[2]],
    ],
  );
  const last = registered.at(-1)?.find((s) => s.streamId === group);
  assert.deepEqual(
    last?.layers?.map((l) => l.streamId),
    ids,
  );
  // A layer id cannot be published again as a stream of its own.
  const again = await bob.client.request({
    case: 'publish',
    value: { streamId: ids[1] ?? '', streamType: StreamType.VIDEO_CAMERA, metadata: { codec: 'VP8' } },
  });
  assert.equal(again.kind.case, 'error');
});
