// Redundancy restored inside the controller (with the gateway double; services/media/test/handler-redundancy.test.ts
// runs the same story with real handler processes and the SDK): a participant that joined with one handler gets the
// second when it is back, a handler that refuses the registration is skipped and tried again at the next trigger,
// a failover tops up at once from an idle handler, and a participant with no live handler gets a fresh primary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { StreamType } from '@darktower/protocol';
import { HandlerId, MeetingId, ParticipantId } from '../ids.ts';
import { MemoryMeetingStore } from '../state/memory-meeting-store.ts';
import { Harness, MH1, MH2, newStreamId } from '../testing/harness.ts';

const openStore = (clock: Parameters<Parameters<typeof Harness.start>[0]>[0]) =>
  Promise.resolve(new MemoryMeetingStore(clock));
const MH3 = HandlerId('mh3');

const stored = async (h: Harness, meeting: string, participant: string): Promise<readonly string[]> =>
  (await h.store.getParticipant(MeetingId(meeting), ParticipantId(participant)))?.handlers ?? [];

function addHandler(h: Harness, handlerId: HandlerId): void {
  h.handlers.register({
    handlerId,
    region: 'test',
    mediaUrl: `https://${handlerId}.test:4434`,
    rpcUrl: `http://${handlerId}.test`,
    capacity: { maxParticipants: 100, maxStreams: 1000 },
  });
}

test('joined with one handler: a standby when the other is back; a refused registration is retried', async () => {
  await using h = await Harness.start(openStore);
  const meeting = randomUUID();
  h.handlers.markUnhealthy(MH2);
  const a = await h.join(meeting, 'a');
  assert.deepEqual(
    a.response.mediaServers.map((s) => s.handlerId),
    [MH1],
  );
  const cam = newStreamId();
  await a.client.request({
    case: 'publish',
    value: { streamId: cam, streamType: StreamType.VIDEO_CAMERA, metadata: { codec: 'VP8' } },
  });

  // MH2 heartbeats again but refuses the registration: skipped, nothing sent, nothing breaks.
  h.handlers.heartbeat(MH2, { participants: 0, streams: 0 });
  h.media.failing.add(MH2);
  await h.service.restoreRedundancy();
  assert.equal(a.client.of('mediaServersUpdate').length, 0);
  assert.deepEqual(await stored(h, meeting, a.participantId), [MH1]);

  // The next trigger: MH2 answers now.
  h.media.failing.delete(MH2);
  await h.service.restoreRedundancy();
  const update = await a.client.next('mediaServersUpdate');
  assert.deepEqual(
    update.mediaServers.map((s) => s.handlerId),
    [MH1, MH2],
    'primary first, unchanged',
  );
  // Fresh tokens for both: the client uses MH1's only if its connection there was lost.
  assert.match(update.mediaServers[0]?.connectionToken ?? '', /^token-mh1-/);
  assert.match(update.mediaServers[1]?.connectionToken ?? '', /^token-mh2-/, 'a fresh token for MH2');
  assert.equal(update.mediaServers[1]?.mediaHandlerUrl, `https://${MH2}.test:4434`);
  assert.ok(h.media.registered.get(MH2)?.has(a.participantId), 'registered on MH2');
  assert.deepEqual(await stored(h, meeting, a.participantId), [MH1, MH2], 'persisted');

  // Nothing more to do: no second update.
  await h.service.restoreRedundancy();
  await a.client.request({ case: 'heartbeat', value: {} });
  assert.equal(a.client.of('mediaServersUpdate').length, 1);
});

test('a failover tops up at once; a participant left with no live handler gets a fresh primary', async () => {
  await using h = await Harness.start(openStore);
  const meeting = randomUUID();
  const a = await h.join(meeting, 'a');
  assert.deepEqual(
    a.response.mediaServers.map((s) => s.handlerId),
    [MH1, MH2],
  );
  addHandler(h, MH3);

  h.handlers.markUnhealthy(MH1);
  h.media.failing.add(MH1);
  await h.service.handlersFailed(new Set([MH1]));
  const afterFailover = await a.client.next('mediaServersUpdate');
  assert.deepEqual(
    afterFailover.mediaServers.map((s) => s.handlerId),
    [MH2, MH3],
    'MH2 promoted, MH3 the new standby',
  );
  assert.deepEqual(await stored(h, meeting, a.participantId), [MH2, MH3]);

  // Both of its handlers die at once; MH1 is back meanwhile.
  h.media.failing.delete(MH1);
  h.handlers.heartbeat(MH1, { participants: 0, streams: 0 });
  for (const dead of [MH2, MH3]) {
    h.handlers.markUnhealthy(dead);
    h.media.failing.add(dead);
  }
  await h.service.handlersFailed(new Set([MH2, MH3]));
  const fresh = await a.client.next('mediaServersUpdate');
  assert.deepEqual(
    fresh.mediaServers.map((s) => s.handlerId),
    [MH1],
  );
  assert.match(fresh.mediaServers[0]?.connectionToken ?? '', /^token-mh1-/);
  assert.deepEqual(await stored(h, meeting, a.participantId), [MH1]);
});

test('moved to its standby with no handler free for a new one: a participant that does not publish is told its list too', async () => {
  await using h = await Harness.start(openStore);
  const meeting = randomUUID();
  const viewer = await h.join(meeting, 'viewer');
  const speaker = await h.join(meeting, 'speaker');
  assert.deepEqual(
    viewer.response.mediaServers.map((s) => s.handlerId),
    [MH1, MH2],
  );
  const cam = newStreamId();
  await speaker.client.request({
    case: 'publish',
    value: { streamId: cam, streamType: StreamType.VIDEO_CAMERA, metadata: { codec: 'VP8' } },
  });

  h.handlers.markUnhealthy(MH1);
  h.media.failing.add(MH1);
  await h.service.handlersFailed(new Set([MH1]));
  // No other handler has room for a new standby: no top-up. The viewer's connection to MH1 would look alive until
  // QUIC's idle timeout; without this it kept MH1 as its first handler and would publish its camera there.
  const update = await viewer.client.next('mediaServersUpdate');
  assert.deepEqual(
    update.mediaServers.map((s) => s.handlerId),
    [MH2],
  );
  assert.equal(update.mediaServers[0]?.connectionToken, '', 'no token: it is connected there already');
  assert.equal(update.mediaServers[0].mediaHandlerUrl, `https://${MH2}.test:4434`);
  assert.deepEqual(await stored(h, meeting, viewer.participantId), [MH2]);
  // The publisher learns it from its stream's announcement, as before, and gets no list.
  const moved = await speaker.client.next('streamPublished');
  assert.deepEqual(moved.handlerIds, [MH2]);
  await speaker.client.request({ case: 'heartbeat', value: {} });
  assert.equal(speaker.client.of('mediaServersUpdate').length, 0);
});
