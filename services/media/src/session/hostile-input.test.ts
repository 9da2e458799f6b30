import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { randomBytes } from 'node:crypto';
import {
  encodeFrameHeader,
  encodeMediaFrame,
  encodeStreamHeader,
  FrameType,
  micros,
  parseFourCC,
  parseStreamId,
  randomStreamId,
  RegisterParticipantRequestSchema,
  RouteMediaRequestSchema,
  StreamType,
  type FrameHeader,
} from '@darktower/protocol';
import { MediaHandlerCore } from '../media-handler.ts';
import { connectBot, coreOptions, register } from '../testing/harness.ts';

const until = async (cond: () => boolean, what: string, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

function header(
  streamId: string,
  frameType: FrameType,
  sequence: number,
  payloadLength: number,
): FrameHeader {
  return {
    frameType,
    streamId: parseStreamId(streamId),
    timestamp: micros(Date.now() * 1000),
    sequence,
    payloadLength,
    endOfFrame: true,
    discardable: false,
    audioLevel: undefined,
  };
}

/** The stream error code the handler reset a stream with, as the writing side sees it. */
async function resetCode(closed: Promise<unknown>): Promise<number | undefined> {
  try {
    await closed;
    return undefined;
  } catch (error) {
    return (error as { streamErrorCode?: number }).streamErrorCode;
  }
}

async function setup() {
  const core = new MediaHandlerCore(
    coreOptions({
      connection: {
        maxPayloadLength: 64 * 1024,
        maxIngestStreams: 8,
        datagramsPerSecond: 500,
        audioAsDatagrams: false,
      },
    }),
  );
  const alice = register(core, 'm1', 'alice');
  const bob = register(core, 'm1', 'bob');
  const a = await connectBot(core, alice.token);
  const b = await connectBot(core, bob.token);
  core.routeMedia(
    create(RouteMediaRequestSchema, {
      meetingId: 'm1',
      planVersion: 1n,
      commands: [alice.video, alice.audio].map((s) => ({
        sourceStreamId: s,
        destinationParticipantIds: ['bob'],
      })),
    }),
  );
  /** The session is still fine: a proper stream still goes through. */
  const stillWorks = async () => {
    const before = b.frames(alice.audio).length;
    const audio = await a.publish(alice.audio, StreamType.AUDIO, 'opus');
    await audio.send(randomBytes(50));
    await until(() => b.frames(alice.audio).length === before + 1, 'a good frame after the bad input');
    await audio.end();
  };
  return { core, alice, bob, a, b, stillWorks };
}

describe('hostile input closes only what it touched', () => {
  test('wrong magic: the stream is reset with 0x01', async () => {
    const { core, a, stillWorks } = await setup();
    const w = await a.rawStream();
    const junk = encodeStreamHeader({
      streamType: StreamType.AUDIO,
      streamId: parseStreamId(randomStreamId()),
      codec: parseFourCC('opus'),
    });
    junk[0] = 0x58;
    void w.write(junk).catch(() => undefined);
    assert.equal(await resetCode(w.closed), 0x01);
    await stillWorks();
    core.close();
  });

  test('frames before the stream header: reset with 0x01', async () => {
    const { core, a, alice, stillWorks } = await setup();
    const w = await a.rawStream();
    void w
      .write(encodeMediaFrame(header(alice.audio, FrameType.Audio, 1, 10), new Uint8Array(10)))
      .catch(() => undefined);
    assert.equal(await resetCode(w.closed), 0x01);
    await stillWorks();
    core.close();
  });

  test('a payload length above the cap: reset with 0x03 before anything is allocated', async () => {
    const { core, a, alice, stillWorks } = await setup();
    const w = await a.rawStream();
    void w
      .write(
        encodeStreamHeader({
          streamType: StreamType.AUDIO,
          streamId: parseStreamId(alice.audio),
          codec: parseFourCC('opus'),
        }),
      )
      .catch(() => undefined);
    void w
      .write(encodeFrameHeader(header(alice.audio, FrameType.Audio, 1, 0xffff_fff0)))
      .catch(() => undefined);
    assert.equal(await resetCode(w.closed), 0x03);
    await stillWorks();
    core.close();
  });

  test('a payload length longer than what follows: the truncated stream is refused', async () => {
    const { core, a, alice, stillWorks } = await setup();
    const conn = core.connection('alice' as never);
    const w = await a.rawStream();
    await w.write(
      encodeStreamHeader({
        streamType: StreamType.AUDIO,
        streamId: parseStreamId(alice.audio),
        codec: parseFourCC('opus'),
      }),
    );
    await w.write(encodeFrameHeader(header(alice.audio, FrameType.Audio, 1, 1000)));
    await w.write(new Uint8Array(10));
    await w.close();
    await until(() => (conn?.counters.streamsRejected ?? 0) === 1, 'the truncated stream to be refused');
    await stillWorks();
    core.close();
  });

  test('a stream id not assigned to the publisher: reset with 0x02', async () => {
    const { core, a, bob, stillWorks } = await setup();
    // bob's id is assigned, but to bob, not to alice
    const p = await a.publish(bob.video, StreamType.VIDEO_CAMERA, 'vp09');
    assert.equal(await resetCode(p.closed), 0x02);
    const q = await a.publish(randomStreamId(), StreamType.VIDEO_CAMERA, 'vp09');
    assert.equal(await resetCode(q.closed), 0x02);
    await stillWorks();
    core.close();
  });

  test('a stream the controller withdrew (unpublished): it ends with 0x02 and cannot be published again', async () => {
    const { core, a, b, alice, stillWorks } = await setup();
    const p = await a.publish(alice.video, StreamType.VIDEO_CAMERA, 'vp09');
    await p.send(randomBytes(10), true);
    await until(() => b.frames(alice.video).length === 1, 'the video to flow');
    // What the Meeting Controller does on UnpublishStream: register the participant again with what is left.
    core.registerParticipant(
      create(RegisterParticipantRequestSchema, {
        participant: {
          participantId: 'alice',
          meetingId: 'm1',
          streams: [{ streamId: alice.audio, streamType: StreamType.AUDIO, metadata: { codec: 'opus' } }],
        },
      }),
    );
    assert.equal(await resetCode(p.closed), 0x02);
    const again = await a.publish(alice.video, StreamType.VIDEO_CAMERA, 'vp09');
    assert.equal(await resetCode(again.closed), 0x02);
    assert.equal(
      b.frames(alice.video).length,
      1,
      'nothing more of the withdrawn stream reached the subscriber',
    );
    await stillWorks();
    core.close();
  });

  test('a frame of another stream or the wrong type inside a stream: reset with 0x01', async () => {
    const { core, a, alice, stillWorks } = await setup();
    const p = await a.publish(alice.video, StreamType.VIDEO_CAMERA, 'vp09');
    void p
      .raw(encodeMediaFrame(header(alice.video, FrameType.Audio, 1, 4), new Uint8Array(4)))
      .catch(() => undefined);
    assert.equal(await resetCode(p.closed), 0x01);
    await stillWorks();
    core.close();
  });

  test('publishing the same stream twice at once: the second is refused', async () => {
    const { core, a, alice } = await setup();
    const first = await a.publish(alice.video, StreamType.VIDEO_CAMERA, 'vp09');
    await first.send(randomBytes(10), true);
    const second = await a.publish(alice.video, StreamType.VIDEO_CAMERA, 'vp09');
    assert.equal(await resetCode(second.closed), 0x01);
    core.close();
  });

  test('a second bidirectional stream is refused; the session lives on', async () => {
    const { core, a, stillWorks } = await setup();
    const extra = await a.session.createBidirectionalStream();
    const w = extra.writable.getWriter();
    let failure: unknown;
    for (let i = 0; i < 50 && failure === undefined; i++) {
      await w.write(new Uint8Array(8)).catch((e: unknown) => (failure = e));
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.equal((failure as { streamErrorCode?: number } | undefined)?.streamErrorCode, 0x01);
    await stillWorks();
    core.close();
  });

  test('datagram flood: excess datagrams are dropped and counted, the session lives on', async () => {
    const { core, a, b, alice } = await setup();
    const conn = core.connection('alice' as never);
    const n = 3000;
    for (let i = 1; i <= n; i++) {
      await a.sendDatagram(encodeMediaFrame(header(alice.audio, FrameType.Audio, i, 40), new Uint8Array(40)));
    }
    for (let i = 0; i < 100; i++) await a.sendDatagram(randomBytes(60)); // garbage
    const c = () => conn?.counters ?? { datagramsDropped: 0, datagramsInvalid: 0, framesIngested: 0 };
    await until(
      () => c().datagramsDropped + c().datagramsInvalid + c().framesIngested >= n + 100,
      'the flood to be processed',
    );
    // 500/s with a burst of 500: nearly all of the 3000 sent at once are over the limit
    assert.ok(c().datagramsDropped >= 2000, `dropped ${c().datagramsDropped}`);
    assert.ok(c().framesIngested >= 400, `ingested ${c().framesIngested}`);
    // every admitted frame was forwarded to bob or dropped by his bounded queue (the burst is far above its bound)
    const out = () =>
      core.forwarder.outputCounters(alice.audio as never, {
        kind: 'participant',
        participantId: 'bob' as never,
      });
    await until(() => {
      const o = out();
      return (
        o !== undefined &&
        o.framesForwarded + o.framesDropped === c().framesIngested &&
        b.frames(alice.audio).length === o.framesForwarded
      );
    }, 'the admitted audio frames to be forwarded or dropped');
    assert.ok(b.frames(alice.audio).length > 0);
    // the video stream still flows
    const video = await a.publish(alice.video, StreamType.VIDEO_CAMERA, 'vp09');
    await video.send(randomBytes(100), true);
    await until(() => b.frames(alice.video).length === 1, 'video after the flood');
    core.close();
  });

  test('a malformed or oversized first control message fails authentication (0x02)', async () => {
    const core = new MediaHandlerCore(coreOptions());
    const { createMemorySessionPair } = await import('@darktower/transport');
    for (const bytes of [
      new Uint8Array([0, 0, 0, 3, 0xff, 0xff, 0xff]),
      new Uint8Array([0x7f, 0xff, 0xff, 0xff, 1]),
    ]) {
      const [client, server] = createMemorySessionPair();
      core.acceptSession(server);
      const stream = await client.createBidirectionalStream();
      const w = stream.writable.getWriter();
      void w.write(bytes).catch(() => undefined);
      const info = await client.closed;
      assert.equal(info.closeCode, 0x02);
    }
    assert.equal(core.counters.authFailures, 2);
    core.close();
  });
});
