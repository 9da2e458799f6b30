// The SDK core in Node (as bots use it) against the real Meeting Controller signaling code and a real Media Handler
// process: join, roster, layout, mute, publish synthetic media, receive it (checksums, order), leave, resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSyntheticPayload, SyntheticSource, syntheticPayload, type RemoteFrame } from '@darktower/client';
import { FrameType } from '@darktower/protocol';
import { sdkRig } from './support/sdk-rig.ts';
import { until as waitUntil } from './support/until.ts';

// This file's waits are shorter than the shared default.
const until = <T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> =>
  waitUntil(what, check, timeoutMs);

test(
  'join, roster, mute state, leave through the real controller and handler',
  { timeout: 60_000 },
  async () => {
    await using r = await sdkRig();
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
    await using r = await sdkRig();
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
  await using r = await sdkRig();
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
  await using r = await sdkRig();
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

test(
  'Meeting.setSlotSize: the slot asks for the layer that fits its size, and the handler sends that layer',
  { timeout: 60_000 },
  async () => {
    await using r = await sdkRig();
    const alice = await r.join('Alice');
    const bob = await r.join('Bob');
    const layers = [
      { layerId: 'q', width: 160, height: 120, maxBitrate: 150_000, maxFramerate: 15 },
      { layerId: 'h', width: 320, height: 240, maxBitrate: 400_000, maxFramerate: 30 },
      { layerId: 'f', width: 640, height: 480, maxBitrate: 800_000, maxFramerate: 30 },
    ];
    const camera = await alice.publishSimulcast({
      kind: 'camera',
      codec: 'VP8',
      width: 640,
      height: 480,
      framerate: 30,
      layers,
    });
    // Each layer's frames have a size of their own (delta / key): the receiver tells which layer it gets.
    const sizeOf = { q: 100, h: 300, f: 900 } as Record<string, number>;
    const layerOf = (bytes: number): string | undefined =>
      Object.keys(sizeOf).find((id) => bytes === sizeOf[id] || bytes === (sizeOf[id] ?? 0) * 4);
    const forceKey = new Set<string>();
    for (const l of camera.layers)
      l.publication.events.on('keyframeRequested', () => forceKey.add(l.layerId));
    const stop = new AbortController();
    let index = 0;
    const timer = setInterval(() => {
      const sequence = camera.nextSequence();
      const key = index % 30 === 0;
      const timestampUs = Date.now() * 1000;
      for (const l of camera.layers) {
        const k = key || forceKey.delete(l.layerId);
        const size = (sizeOf[l.layerId] ?? 0) * (k ? 4 : 1);
        void l.publication
          .send({ data: syntheticPayload(index, size, timestampUs), key: k, timestampUs, sequence })
          .catch(() => undefined);
      }
      index++;
    }, 33);
    stop.signal.addEventListener('abort', () => {
      clearInterval(timer);
    });
    try {
      const received: string[] = [];
      let keys = 0;
      bob.events.on('remoteFrame', (f) => {
        if (f.kind !== 'camera') return;
        received.push(layerOf(f.payload.length) ?? '?');
        if (f.header.frameType === FrameType.VideoKey) keys++;
      });
      await bob.setLayout({ kind: 'grid', rows: 1, columns: 1 });
      const slot = await until('a slot for alice', () =>
        bob.layoutSlots.find((s) => s.participantId === alice.participantId),
      );
      // The slot has started (a key frame: sizes given before it wait for it, see the next test).
      await until('frames in the slot', () => (received.length > 10 && keys > 0 ? true : undefined), 20_000);
      // A 300x220 tile: the half layer (320x240) covers it; without the call the handler's default stays.
      bob.setSlotSize(slot.slotStreamId, { width: 300, height: 220 });
      assert.equal(bob.layerPreferences.get(slot.slotStreamId), 'h');
      const from = received.length;
      await until(
        'the half layer in the slot',
        () => {
          const tail = received.slice(Math.max(from, received.length - 15));
          return tail.length === 15 && tail.every((l) => l === 'h') ? true : undefined;
        },
        20_000,
      );
      // A thumbnail: the quarter layer.
      bob.setSlotSize(slot.slotStreamId, { width: 150, height: 110 });
      assert.equal(bob.layerPreferences.get(slot.slotStreamId), 'q');
      const from2 = received.length;
      await until(
        'the quarter layer in the slot',
        () => {
          const tail = received.slice(Math.max(from2, received.length - 15));
          return tail.length === 15 && tail.every((l) => l === 'q') ? true : undefined;
        },
        20_000,
      );
    } finally {
      stop.abort();
    }
  },
);

test(
  'a layout asked for with the join (MeetingOptions.layout) is in place when join resolves, and video flows',
  { timeout: 60_000 },
  async () => {
    await using r = await sdkRig();
    const alice = await r.join('Alice');
    const camera = await alice.publish({
      kind: 'camera',
      codec: 'VP8',
      width: 320,
      height: 240,
      framerate: 30,
    });
    const video = new SyntheticSource({ kind: 'video', keyInterval: 90 });
    camera.events.on('keyframeRequested', () => {
      video.requestKeyframe();
    });
    const stop = new AbortController();
    const running = video.run((f) => camera.send(f), stop.signal);
    try {
      let asked: string[] = [];
      const bob = await r.join('Bob', 'participant', {
        layout: (others) => {
          asked = others.map((p) => p.name);
          return { spec: { kind: 'grid', rows: 1, columns: 1 } };
        },
      });
      assert.deepEqual(asked, ['Alice'], 'the callback sees who is already there');
      // No setLayout call: the slot came with the join.
      const slot = bob.layoutSlots.find((s) => s.participantId === alice.participantId);
      assert.ok(slot !== undefined, 'a slot for alice when join resolves');
      assert.equal(slot.sourceStreamId, camera.streamId);
      const names = bob.joinMarks.map((m) => m.name);
      assert.ok(names.indexOf('layout_request:start') < names.indexOf('joined'), names.join(' '));
      const frames: RemoteFrame[] = [];
      bob.events.on('remoteFrame', (f) => {
        if (f.kind === 'camera') frames.push(f);
      });
      await until('video in the join-time slot', () => (frames.length >= 10 ? true : undefined), 20_000);
      assert.ok(frames.every((f) => f.forwardedStreamId === slot.slotStreamId));
    } finally {
      stop.abort();
      await running;
    }
  },
);

test(
  'Meeting.setSlotSize before the slot has had a key frame waits for it: the first picture is not held up by a layer switch',
  { timeout: 60_000 },
  async () => {
    await using r = await sdkRig();
    const alice = await r.join('Alice');
    const bob = await r.join('Bob');
    const camera = await alice.publishSimulcast({
      kind: 'camera',
      codec: 'VP8',
      width: 640,
      height: 480,
      framerate: 30,
      layers: [
        { layerId: 'q', width: 160, height: 120, maxBitrate: 150_000, maxFramerate: 15 },
        { layerId: 'f', width: 640, height: 480, maxBitrate: 800_000, maxFramerate: 30 },
      ],
    });
    // Nothing is sent yet: the slot gets no key frame until we start.
    await bob.setLayout({ kind: 'grid', rows: 1, columns: 1 });
    const slot = await until('a slot for alice', () =>
      bob.layoutSlots.find((s) => s.participantId === alice.participantId),
    );
    bob.setSlotSize(slot.slotStreamId, { width: 150, height: 110 });
    assert.equal(bob.layerPreferences.get(slot.slotStreamId), undefined, 'held until the first key frame');
    const timer = setInterval(() => {
      const sequence = camera.nextSequence();
      const timestampUs = Date.now() * 1000;
      for (const l of camera.layers)
        void l.publication
          .send({ data: syntheticPayload(sequence, 200, timestampUs), key: true, timestampUs, sequence })
          .catch(() => undefined);
    }, 33);
    try {
      await until(
        'the preference after the first key frame',
        () => bob.layerPreferences.get(slot.slotStreamId),
        20_000,
      );
      assert.equal(bob.layerPreferences.get(slot.slotStreamId), 'q');
    } finally {
      clearInterval(timer);
    }
  },
);
