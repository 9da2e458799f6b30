// The SDK core in Node (as bots use it) against the real Meeting Controller signaling code and a real Media Handler
// process: join, roster, layout, mute, publish synthetic media, receive it (checksums, order), leave, resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Meeting, readSyntheticPayload, SyntheticSource, type RemoteFrame } from '@darktower/client';
import { nodeConnector } from '@darktower/client/node';
import { ControllerInProcess } from './support/controller-in-process.ts';
import { startMediaHandler } from './support/media-handler-process.ts';

function until<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const tick = (): void => {
      const v = check();
      if (v !== undefined) resolve(v);
      else if (Date.now() > deadline) reject(new Error(`timed out: ${what}`));
      else setTimeout(tick, 25);
    };
    tick();
  });
}

async function rig(): Promise<{
  join: (name: string, role?: 'host' | 'participant') => Promise<Meeting>;
  mc: ControllerInProcess;
  [Symbol.asyncDispose]: () => Promise<void>;
}> {
  const handler = await startMediaHandler({ MH_AUDIO_AS_DATAGRAMS: '1' });
  const mc = await ControllerInProcess.start(handler);
  const meetingId = randomUUID();
  const media = nodeConnector();
  const meetings: Meeting[] = [];
  return {
    mc,
    join: async (name, role = 'participant') => {
      const m = await Meeting.join({
        meeting: meetingId,
        displayName: name,
        grant: mc.grant(meetingId, name, role),
        reconnectDelayMs: 100,
        connector: (target, signal) =>
          target.url === ControllerInProcess.URL ? Promise.resolve(mc.connect()) : media(target, signal),
      });
      meetings.push(m);
      return m;
    },
    [Symbol.asyncDispose]: async () => {
      for (const m of meetings) await m.close();
      await mc[Symbol.asyncDispose]();
      await handler[Symbol.asyncDispose]();
    },
  };
}

test(
  'join, roster, mute state, leave through the real controller and handler',
  { timeout: 60_000 },
  async () => {
    await using r = await rig();
    const alice = await r.join('Alice', 'host');
    assert.equal(alice.state.state, 'joined');
    assert.equal(alice.isHost, true);
    assert.equal(alice.transport, 'memory');
    const bob = await r.join('Bob');
    assert.deepEqual(
      bob.participants.map((p) => p.name),
      ['Alice'],
    );
    await until('alice sees bob', () => alice.participants.find((p) => p.name === 'Bob'));
    await alice.setMuted({ audio: true, video: false });
    await until('bob sees alice muted', () =>
      bob.roster.get(alice.participantId)?.audioMuted === true ? true : undefined,
    );
    const left = new Promise<string>((resolve) =>
      alice.events.on('participantLeft', (p) => {
        resolve(p.name);
      }),
    );
    await bob.leave();
    assert.equal(await left, 'Bob');
    assert.equal(bob.state.state, 'left');
    assert.deepEqual(alice.participants, []);
  },
);

test(
  'published synthetic media reaches the other participant through a layout slot and audio subscription',
  {
    timeout: 60_000,
  },
  async () => {
    await using r = await rig();
    const alice = await r.join('Alice');
    const bob = await r.join('Bob');
    const received: RemoteFrame[] = [];
    bob.events.on('remoteFrame', (f) => received.push(f));
    await bob.setLayout({ kind: 'grid', rows: 1, columns: 2 });
    const camera = await alice.publish({
      kind: 'camera',
      codec: 'VP8',
      width: 320,
      height: 240,
      framerate: 30,
    });
    const mic = await alice.publish({ kind: 'audio', codec: 'Opus' });
    const video = new SyntheticSource({ kind: 'video', keyInterval: 30 });
    const audio = new SyntheticSource({ kind: 'audio' });
    camera.events.on('keyframeRequested', () => {
      video.requestKeyframe();
    });
    const stop = new AbortController();
    const running = Promise.all([
      video.run((f) => camera.send(f), stop.signal),
      audio.run((f) => mic.send(f), stop.signal),
    ]);
    try {
      await until(
        'video and audio from alice',
        () => {
          const v = received.filter((f) => f.kind === 'camera').length;
          const a = received.filter((f) => f.kind === 'audio').length;
          return v >= 20 && a >= 20 ? true : undefined;
        },
        20_000,
      );
    } finally {
      stop.abort();
      await running;
    }
    for (const kind of ['camera', 'audio'] as const) {
      const frames = received.filter((f) => f.kind === kind);
      assert.ok(frames.every((f) => f.participantId === alice.participantId));
      const infos = frames.map((f) => readSyntheticPayload(f.payload));
      assert.ok(
        infos.every((i) => i !== undefined),
        `${kind}: every payload intact`,
      );
      const indexes = infos.map((i) => i.index);
      assert.deepEqual(
        indexes,
        [...indexes].sort((a, b) => a - b),
        `${kind}: in order`,
      );
    }
    const slot = bob.layoutSlots.find((s) => s.participantId === alice.participantId);
    assert.equal(slot?.sourceStreamId, camera.streamId);
  },
);

test('a dropped signaling session resumes with the same participant id', { timeout: 60_000 }, async () => {
  await using r = await rig();
  const alice = await r.join('Alice');
  const bob = await r.join('Bob');
  const id = alice.participantId;
  const states: string[] = [];
  alice.events.on('stateChanged', (s) => states.push(s.state));
  // The network drops: the controller's side of alice's signaling session goes away.
  r.mc.servers[0]?.close({ closeCode: 0x1006, reason: 'network drop' });
  await until('alice joined again', () =>
    states.includes('reconnecting') && alice.state.state === 'joined' ? true : undefined,
  );
  assert.equal(alice.participantId, id);
  assert.ok(bob.participants.some((p) => p.participantId === id));
});

test('a subscriber quality report reaches the publisher as a bitrate hint', { timeout: 60_000 }, async () => {
  await using r = await rig();
  const alice = await r.join('Alice');
  const bob = await r.join('Bob');
  const camera = await alice.publish({
    kind: 'camera',
    codec: 'VP8',
    width: 640,
    height: 480,
    framerate: 30,
  });
  const hint = new Promise<number>((resolve) => camera.events.on('bitrateHint', resolve));
  const update = new Promise<string>((resolve) =>
    alice.events.on('qualityUpdate', (u) => {
      resolve(u.streamId);
    }),
  );
  await bob.setLayout({ kind: 'grid', rows: 1, columns: 1 });
  const slot = await until('a slot for alice', () =>
    bob.layoutSlots.find((s) => s.participantId === alice.participantId),
  );
  assert.equal(slot.sourceStreamId, camera.streamId);
  // Bob names his slot id; the controller maps it to Alice's camera and tells Alice.
  await bob.reportQuality(slot.slotStreamId, { availableBitrateBps: 250_000, packetLoss: 0.05 });
  assert.equal(await update, camera.streamId);
  assert.equal(await hint, 250_000);
});
