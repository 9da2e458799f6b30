// Real QUIC on loopback: the handler core behind the WebTransport server of @darktower/transport, bots connecting
// with the Node WebTransport client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { randomBytes } from 'node:crypto';
import { RouteMediaRequestSchema, StreamType } from '@darktower/protocol';
import { connectWebTransport, createWebTransportServer, type WebTransportServer } from '@darktower/transport';
import { MediaHandlerCore } from '../src/media-handler.ts';
import { checksum } from '../src/testing/frames.ts';
import { coreOptions, register } from '../src/testing/harness.ts';
import { MediaBot, type MediaBotOptions } from '../src/testing/media-bot.ts';

const until = async (cond: () => boolean, what: string, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('media handler over real QUIC on loopback', () => {
  let server: WebTransportServer;
  let core: MediaHandlerCore;
  let url: string;
  let hash: Uint8Array;

  before(async () => {
    core = new MediaHandlerCore(coreOptions({ output: { maxFrames: 32, maxBytes: 1 << 20 } }));
    server = createWebTransportServer({
      cert: 'dev',
      port: 0,
      onSession: (session) => {
        core.acceptSession(session);
      },
    });
    const addr = await server.listen();
    url = `https://127.0.0.1:${addr.port}/media`;
    hash = server.certificateHash();
  });

  after(async () => {
    core.close();
    await server.close();
  });

  const connect = async (token: string, options?: MediaBotOptions): Promise<MediaBot> =>
    MediaBot.connect(await connectWebTransport(url, { serverCertificateHashes: [hash] }), token, options);

  test('known sequence numbers and checksums arrive intact; a stalled subscriber does not hold back a fast one', async () => {
    const alice = register(core, 'q1', 'alice');
    const bob = register(core, 'q1', 'bob');
    const carol = register(core, 'q1', 'carol');
    const a = await connect(alice.token);
    const b = await connect(bob.token);
    const c = await connect(carol.token, { stall: true });
    core.routeMedia(
      create(RouteMediaRequestSchema, {
        meetingId: 'q1',
        planVersion: 1n,
        commands: [{ sourceStreamId: alice.video, destinationParticipantIds: ['bob', 'carol'] }],
      }),
    );
    const video = await a.publish(alice.video, StreamType.VIDEO_CAMERA, 'vp09');
    // More than the stalled subscriber's QUIC stream window (1 MiB) and the handler's queue can absorb.
    const n = 600;
    const sums: string[] = [];
    for (let i = 0; i < n; i++) {
      const payload = randomBytes(6000);
      sums.push(checksum(payload));
      await video.send(payload, i % 30 === 0);
      if (i % 2 === 1) await new Promise((r) => setTimeout(r, 1)); // paced like a camera, roughly
    }
    await until(() => b.frames(alice.video).length === n, 'the fast subscriber to get every frame');
    assert.deepEqual(
      b.frames(alice.video).map((f) => checksum(f.payload)),
      sums,
    );
    assert.deepEqual(
      b.frames(alice.video).map((f) => f.header.sequence),
      Array.from({ length: n }, (_, i) => i + 1),
    );
    const slow = core.forwarder.outputCounters(alice.video as never, {
      kind: 'participant',
      participantId: 'carol' as never,
    });
    assert.ok(slow !== undefined && slow.framesDropped > 0, 'the stalled subscriber dropped frames');
    for (const bot of [a, b, c]) bot.close();
  });

  test('connection tokens are single use over QUIC too, and hostile streams are reset', async () => {
    const alice = register(core, 'q2', 'alice');
    const a = await connect(alice.token);
    await assert.rejects(connect(alice.token), /already used/);
    const w = await a.rawStream();
    // The handler answers bad bytes with STOP_SENDING(0x01); the writer learns of it on a later write.
    let failure: unknown;
    for (let i = 0; i < 200 && failure === undefined; i++) {
      await w.write(new Uint8Array(64).fill(0x41)).catch((e: unknown) => (failure = e));
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(failure !== undefined, 'the stream was refused');
    // The QUIC client reports a stop as STREAM_RESET without the peer's code (quiche does not hand it over);
    // the handler's side of the story is in its counters.
    assert.equal((failure as { code?: string }).code, 'STREAM_RESET');
    assert.equal(core.connection('alice' as never)?.counters.streamsRejected, 1);
    a.close();
  });
});
