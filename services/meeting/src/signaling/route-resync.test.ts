// A media handler that is up but does not confirm a route update (a timeout on a stalled or overloaded machine) is
// not failed over: nobody moves, and a second later it gets its complete routes again (replace_all). A handler that
// refuses connections is failed over at once, as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { StreamType } from '@darktower/protocol';
import { MeetingId, ParticipantId } from '../ids.ts';
import { MemoryMeetingStore } from '../state/memory-meeting-store.ts';
import { Harness, MH1, newStreamId } from '../testing/harness.ts';

const openStore = (clock: Parameters<Parameters<typeof Harness.start>[0]>[0]) =>
  Promise.resolve(new MemoryMeetingStore(clock));

const routesOn = (h: Harness, handler: string): string[] =>
  [...h.media.routes.values()]
    .filter((r) => r.handlerId === handler)
    .map((r) => `${r.source}->${r.to}`)
    .sort();

test('a route update a live handler did not confirm is resent in full a second later; nobody fails over', async () => {
  await using h = await Harness.start(openStore);
  const meeting = randomUUID();
  const a = await h.join(meeting, 'a');
  const b = await h.join(meeting, 'b');
  const cam = newStreamId();
  await a.client.request({
    case: 'publish',
    value: { streamId: cam, streamType: StreamType.VIDEO_CAMERA, metadata: { codec: 'VP8' } },
  });
  await b.client.request({ case: 'subscribe', value: { streamId: cam } });
  assert.deepEqual(routesOn(h, MH1), [`${cam}->p:${b.participantId}:${cam}`]);

  // MH1 stalls: the next change (c joins and subscribes) does not reach it.
  h.media.unanswered.add(MH1);
  const c = await h.join(meeting, 'c');
  await c.client.request({ case: 'subscribe', value: { streamId: cam } });
  assert.deepEqual(
    routesOn(h, MH1),
    [`${cam}->p:${b.participantId}:${cam}`],
    'the stalled handler missed it',
  );
  assert.notEqual(h.handlers.get(MH1)?.health, 'unhealthy', 'not declared dead');

  // It answers again: within the resync delay it holds the complete plan, and nobody was moved.
  h.media.unanswered.delete(MH1);
  const deadline = Date.now() + 5_000;
  while (routesOn(h, MH1).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    routesOn(h, MH1),
    [`${cam}->p:${b.participantId}:${cam}`, `${cam}->p:${c.participantId}:${cam}`].sort(),
  );
  assert.ok(
    h.media.replaced.some((x) => x.startsWith(`${MH1} `)),
    'sent as a replace_all',
  );
  for (const p of [a, b, c]) {
    assert.equal(p.client.of('mediaServersUpdate').length, 0, 'no handler change');
    const stored = await h.store.getParticipant(MeetingId(meeting), ParticipantId(p.participantId));
    assert.equal(stored?.handlers[0], MH1, 'still on MH1');
  }
  // The publisher was never told to send elsewhere.
  const moves = a.client.received.filter(
    (m) => m.kind.case === 'streamPublished' && m.requestId === 0 && m.kind.value.handlerIds[0] !== MH1,
  );
  assert.deepEqual(
    moves.map((m) => JSON.stringify(m.kind.value)),
    [],
    'no publisher moved',
  );
});
