// The active speaker changes as time passes, not only when a level report arrives: a challenger that has been
// louder for long enough takes over on the periodic re-evaluation (SignalingService.evaluateSpeakers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { StreamType } from '@darktower/protocol';
import { MeetingId, ParticipantId } from '../ids.ts';
import { MemoryMeetingStore } from '../state/memory-meeting-store.ts';
import { Harness, newStreamId } from '../testing/harness.ts';
import { expectKind, type SignalingClient } from '../testing/signaling-client.ts';

async function publishMic(client: SignalingClient): Promise<string> {
  const streamId = newStreamId();
  expectKind(
    await client.request({
      case: 'publish',
      value: { streamId, streamType: StreamType.AUDIO, metadata: { codec: 'opus' } },
    }),
    'streamPublished',
  );
  return streamId;
}

test('a challenger becomes the active speaker on the timer, without a further report', async () => {
  await using h = await Harness.start((clock) => Promise.resolve(new MemoryMeetingStore(clock)));
  const meeting = randomUUID();
  const ann = await h.join(meeting, 'ann');
  const ben = await h.join(meeting, 'ben');
  const viewer = await h.join(meeting, 'viewer');
  const annMic = await publishMic(ann.client);
  const benMic = await publishMic(ben.client);
  const id = MeetingId(meeting);

  await h.service.audioLevel(id, ParticipantId(ann.participantId), annMic, 3);
  assert.deepEqual((await viewer.client.next('activeSpeaker')).participantIds, [ann.participantId]);

  // Ann goes quiet (no more reports: her level goes stale); Ben speaks once, too soon after the last change.
  h.advance(1_200);
  await h.service.audioLevel(id, ParticipantId(ben.participantId), benMic, 3);
  await h.service.evaluateSpeakers();
  // Dominance and hold times pass with no report at all: only the timer can make the change.
  h.advance(700);
  await h.service.evaluateSpeakers();
  const update = await viewer.client.next('activeSpeaker');
  assert.deepEqual(update.participantIds, [ben.participantId, ann.participantId]);
});
