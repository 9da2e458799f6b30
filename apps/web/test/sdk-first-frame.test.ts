// A participant joining a meeting where video already flows must get the first key frame of what it subscribed to:
// losing it leaves the picture black until the publisher's next periodic key frame (seconds). The SDK core in Node
// against the real Meeting Controller signaling code and a real Media Handler process, with E2EE on (the default).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MediaConnection,
  readSyntheticPayload,
  SignalingClient,
  type ReceivedFrame,
  SyntheticSource,
  type LocalPublication,
} from '@darktower/client';
import { nodeConnector } from '@darktower/client/node';
import { FrameType, randomStreamId } from '@darktower/protocol';
import { sdkRig } from './support/sdk-rig.ts';
import { until } from './support/until.ts';

/** A synthetic camera with no periodic key frame: a key frame only when asked (counted). */
function camera(publication: LocalPublication): { requests: number; stop: () => Promise<void> } {
  const source = new SyntheticSource({ kind: 'video', fps: 30, size: 1200, keyInterval: 1_000_000 });
  const out = {
    requests: 0,
    stop: async (): Promise<void> => {
      abort.abort();
      await running;
    },
  };
  publication.events.on('keyframeRequested', () => {
    out.requests++;
    source.requestKeyframe();
  });
  const abort = new AbortController();
  const running = source.run((f) => publication.send(f), abort.signal);
  return out;
}

test(
  'frames that arrive before the app renders the meeting are kept for it: from the first key frame on, none is missing',
  { timeout: 90_000 },
  async () => {
    await using r = await sdkRig();
    const alice = await r.join('Alice');
    const cam = camera(await alice.publish({ kind: 'camera', codec: 'VP8', width: 320, height: 180 }));
    try {
      // Bob asks for the grid with his join: the handler asks Alice for a key frame while Bob's join is still
      // opening its media connection and waiting for its layout, and it arrives before anyone listens.
      const bob = await r.join('Bob', 'participant', {
        layout: () => ({ spec: { kind: 'grid', rows: 1, columns: 2 }, pinned: [] }),
      });
      // The app builds its renderer a little later (a UI framework, a page load); by then Bob is in the MLS group
      // and the key frame he can decrypt has come.
      await until('Bob is in the MLS group', () => (bob.e2ee.state?.state === 'active' ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const live: typeof early = [];
      bob.events.on('remoteFrame', (f) => {
        if (f.kind === 'camera') live.push(f);
      });
      const early = bob.takeEarlyFrames().filter((f) => f.kind === 'camera');
      assert.deepEqual(bob.takeEarlyFrames(), [], 'taken once');
      // Bob decrypts from the first frame Alice encrypted for the epoch he joined in; the first key frame from then
      // on (the epoch change's, or the one his subscription asked for) came before anyone listened, and is kept.
      const key = early.findIndex((f) => f.header.frameType === FrameType.VideoKey);
      assert.ok(
        key >= 0,
        `a key frame among the ${String(early.length)} frames kept from before anyone listened`,
      );
      await until('live frames follow', () => (live.length >= 10 ? true : undefined));
      const indexes = [...early.slice(key), ...live].map((f) => readSyntheticPayload(f.payload)?.index ?? -1);
      const first = indexes[0] ?? -1;
      assert.deepEqual(
        indexes,
        indexes.map((_, i) => first + i),
        'from the key frame on, every frame, in order, none twice',
      );
    } finally {
      await cam.stop();
    }
  },
);

test(
  'a new MLS epoch makes every published video send a key frame (the joiner decrypts nothing of the old epoch)',
  { timeout: 90_000 },
  async () => {
    await using r = await sdkRig();
    const alice = await r.join('Alice');
    await until('Alice is in her MLS group', () => (alice.e2ee.state?.state === 'active' ? true : undefined));
    const cam = camera(await alice.publish({ kind: 'camera', codec: 'VP8', width: 320, height: 180 }));
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const before = cam.requests;
      const epoch = alice.e2ee.state?.state === 'active' ? alice.e2ee.state.epoch : -1n;
      // Bob subscribes to no video: any key frame request Alice gets comes from the epoch change, not the handler.
      const bob = await r.join('Bob');
      await until('a new epoch with Bob in it', () => {
        const s = alice.e2ee.state;
        return s?.state === 'active' && s.epoch > epoch && bob.e2ee.state?.state === 'active'
          ? true
          : undefined;
      });
      await until('Alice sends a key frame for the new epoch', () =>
        cam.requests > before ? true : undefined,
      );
    } finally {
      await cam.stop();
    }
  },
);

test(
  'a media connection that holds its frames loses none of what came before its owner listened',
  { timeout: 90_000 },
  async () => {
    await using r = await sdkRig();
    const alice = await r.join('Alice');
    const cam = camera(await alice.publish({ kind: 'camera', codec: 'VP8', width: 320, height: 180 }));
    // Bob by hand: signaling, a layout with Alice's camera in it, then his media connection, held.
    const signaling = await SignalingClient.open(r.mc.connect());
    let media: MediaConnection | undefined;
    try {
      const grant = await r.mc.grant(r.meetingId, 'Bob')();
      const joined = await signaling.join({
        case: 'join',
        value: {
          meetingId: r.meetingId,
          joinToken: grant.joinToken,
          participantName: 'Bob',
          protocolVersion: 1,
          capabilities: {
            videoCodecs: ['VP8'],
            audioCodecs: ['Opus'],
            supportsSimulcast: false,
            maxVideoStreams: 4,
          },
        },
      });
      const server = joined.mediaServers[0] ?? joined.mediaServer;
      assert.ok(server !== undefined, 'a media handler');
      await signaling.request({
        case: 'layoutRequest',
        value: {
          layout: { case: 'grid', value: { rows: 1, columns: 1 } },
          slotStreamIds: [randomStreamId()],
          preferVideoOverAudio: true,
          includeSelf: false,
        },
      });
      media = await MediaConnection.open(
        await nodeConnector()(
          {
            url: server.mediaHandlerUrl,
            serverCertificateHashes: server.serverCertificateHashes,
            purpose: 'media',
          },
          AbortSignal.timeout(10_000),
        ),
        server.connectionToken,
        { holdFrames: true },
      );
      const connection = media;
      await until('frames came in', () => (connection.counters.framesReceived >= 10 ? true : undefined));
      const frames: ReceivedFrame[] = [];
      media.events.on('frame', (f) => frames.push(f));
      assert.equal(frames.length, 0, 'held until released');
      media.releaseFrames();
      // (Read through a function: TypeScript thinks `frames` is still empty after the listener was added.)
      const received = (): number => frames.length;
      const held = received();
      assert.ok(held >= 10, `the held frames come out on release (${String(held)})`);
      assert.equal(frames[0]?.header.frameType, FrameType.VideoKey, 'from the key frame asked for Bob');
      await until('live frames follow', () => (received() >= held + 10 ? true : undefined));
      const sequences = frames.map((f) => f.header.sequence);
      const first = sequences[0] ?? -1;
      assert.deepEqual(
        sequences,
        sequences.map((_, i) => first + i),
        'held and live, every frame in order, none twice',
      );
    } finally {
      await media?.close();
      await signaling.close();
      await cam.stop();
    }
  },
);
