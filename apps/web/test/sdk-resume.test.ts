// The SDK's resume path when the controller refuses the resume: the session expired while the client was away, so
// the SDK joins afresh (typed events resumeRefused + rejoined), publishes its streams again, and never stays in
// 'reconnecting'. What the user asks for during a drop (publish, layout, mute) is done once the meeting is back.
// Real Meeting Controller signaling code in this process, a real Media Handler process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { isClientError, Meeting, type MeetingState } from '@darktower/client';
import { nodeConnector } from '@darktower/client/node';
import { ControllerInProcess } from './support/controller-in-process.ts';
import { startMediaHandler } from './support/media-handler-process.ts';
import { until } from './support/until.ts';

/** Joins one new meeting through the in-process controller (signaling) and the real handler (media). */
function joiner(mc: ControllerInProcess, reconnectDelayMs: number): (name: string) => Promise<Meeting> {
  const meetingId = randomUUID();
  const media = nodeConnector();
  return (name) =>
    Meeting.join({
      meeting: meetingId,
      displayName: name,
      grant: mc.grant(meetingId, name),
      reconnectDelayMs,
      connector: (target, signal) =>
        target.url === ControllerInProcess.URL ? Promise.resolve(mc.connect()) : media(target, signal),
    });
}

test(
  'an expired session is joined afresh: resumeRefused, rejoined, streams published again',
  {
    timeout: 90_000,
  },
  async () => {
    await using handler = await startMediaHandler({ MH_AUDIO_AS_DATAGRAMS: '1' });
    // Resume window of 300 ms: a client that comes back after a second finds its session gone.
    await using mc = await ControllerInProcess.start(handler, { sessionTtlMs: 300 });
    const join = joiner(mc, 1_000);
    const alice = await join('Alice');
    const bob = await join('Bob');
    try {
      const camera = await alice.publish({ kind: 'camera', codec: 'VP8', width: 320, height: 240 });
      await until('bob sees alice publish', () =>
        bob.roster.get(alice.participantId)?.streams.some((s) => s.streamId === camera.streamId) === true
          ? true
          : undefined,
      );
      const oldId = alice.participantId;
      const states: MeetingState['state'][] = [];
      const refused: unknown[] = [];
      const rejoined: [string, string][] = [];
      alice.events.on('stateChanged', (s) => states.push(s.state));
      alice.events.on('resumeRefused', (e) => refused.push(e));
      alice.events.on('rejoined', (from, to) => rejoined.push([from, to]));

      // Alice's network drops; the controller keeps her session for its resume window, then drops it.
      mc.servers[0]?.close({ closeCode: 0x1006, reason: 'network drop' });
      await until('alice reconnecting', () => (states.includes('reconnecting') ? true : undefined));
      await until('bob sees alice gone', () => (bob.roster.get(oldId) === undefined ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 400));
      await mc.service.sweep();

      await until('alice joined afresh', () => (rejoined.length > 0 ? true : undefined));
      assert.equal(alice.state.state, 'joined');
      assert.equal(refused.length, 1);
      assert.ok(isClientError(refused[0], 'SESSION_EXPIRED'), String(refused[0]));
      const newId = alice.participantId;
      assert.notEqual(newId, oldId);
      assert.deepEqual(rejoined, [[oldId, newId]]);
      // Her camera was announced again under the new participant; Bob sees her once.
      await until('bob sees alice back with her camera', () =>
        bob.roster.get(newId)?.streams.some((s) => s.streamId === camera.streamId) === true
          ? true
          : undefined,
      );
      assert.equal(bob.participants.length, 1);
      assert.deepEqual(
        alice.participants.map((p) => p.participantId),
        [bob.participantId],
      );
    } finally {
      await alice.close();
      await bob.close();
    }
  },
);

test(
  'what the user asks for during a network drop (publish, layout, mute) is done once the meeting is back',
  { timeout: 90_000 },
  async () => {
    await using handler = await startMediaHandler({ MH_AUDIO_AS_DATAGRAMS: '1' });
    await using mc = await ControllerInProcess.start(handler);
    const join = joiner(mc, 500);
    const alice = await join('Alice');
    const bob = await join('Bob');
    try {
      const id = alice.participantId;
      const states: MeetingState['state'][] = [];
      alice.events.on('stateChanged', (s) => states.push(s.state));
      mc.servers[0]?.close({ closeCode: 0x1006, reason: 'network drop' });
      // Asked while the drop is being noticed and handled: before, these failed at once ("not joined").
      const camera = alice.publish({ kind: 'camera', codec: 'VP8', width: 320, height: 240 });
      const layout = alice.setLayout({ kind: 'grid', rows: 1, columns: 1 });
      await until('alice reconnecting', () => (states.includes('reconnecting') ? true : undefined));
      const muted = alice.setMuted({ audio: true, video: false });
      const published = await camera;
      await layout;
      await muted;
      assert.deepEqual(states.slice(-1), ['joined']);
      assert.equal(alice.participantId, id, 'resumed: the same participant');
      await until('bob sees alice publish, muted', () => {
        const p = bob.roster.get(id);
        return p?.streams.some((s) => s.streamId === published.streamId) === true && p.audioMuted
          ? true
          : undefined;
      });
      // Not joined and not coming back: refused at once, as before.
      await alice.leave();
      await assert.rejects(alice.publish({ kind: 'audio', codec: 'Opus' }), (e: unknown) =>
        isClientError(e, 'INVALID_STATE'),
      );
    } finally {
      await alice.close();
      await bob.close();
    }
  },
);
