// Audio as QUIC datagrams on loopback: the handler takes datagrams in and sends them out through the transport's
// batched path (Session.onDatagrams / sendDatagrams), and the bytes arrive unchanged.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { randomBytes } from 'node:crypto';
import {
  encodeMediaFrame,
  FrameType,
  micros,
  parseStreamId,
  RouteMediaRequestSchema,
} from '@darktower/protocol';
import {
  connectWebTransport,
  createWebTransportServer,
  type Session,
  type WebTransportServer,
} from '@darktower/transport';
import { MediaHandlerCore } from '../src/media-handler.ts';
import { checksum } from '../src/testing/frames.ts';
import { coreOptions, register } from '../src/testing/harness.ts';
import { MediaBot, wallClockUs } from '../src/testing/media-bot.ts';

let server: WebTransportServer;
let core: MediaHandlerCore;
let url: string;
let hash: Uint8Array;
/** Datagrams the handler handed to the transport's batched send, and in how many calls. */
const sent = { calls: 0, datagrams: 0, batchesIn: 0 };

before(async () => {
  core = new MediaHandlerCore(
    coreOptions({
      connection: {
        maxPayloadLength: 1 << 20,
        maxIngestStreams: 16,
        datagramsPerSecond: 10_000,
        audioAsDatagrams: true,
      },
    }),
  );
  server = createWebTransportServer({
    cert: 'dev',
    port: 0,
    onSession: (session) => {
      core.acceptSession(counting(session));
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

/** The server session, with its batched send observed (QUIC sessions have it; the test fails if not). */
function counting(session: Session): Session {
  const batched = session.sendDatagrams?.bind(session);
  const onDatagrams = session.onDatagrams?.bind(session);
  assert.ok(batched !== undefined && onDatagrams !== undefined, 'QUIC sessions have the batched path');
  return new Proxy(session, {
    get(target, key) {
      if (key === 'sendDatagrams')
        return (batch: readonly Uint8Array[]) => {
          sent.calls++;
          sent.datagrams += batch.length;
          batched(batch);
        };
      if (key === 'onDatagrams')
        return (handler: (batch: Uint8Array[]) => void) =>
          onDatagrams((batch) => {
            sent.batchesIn++;
            handler(batch);
          });
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

test('audio datagrams are forwarded as datagrams through the batched path, bytes unchanged', async () => {
  const alice = register(core, 'd1', 'alice');
  const bob = register(core, 'd1', 'bob');
  const carol = register(core, 'd1', 'carol');
  const connect = async (token: string) =>
    MediaBot.connect(await connectWebTransport(url, { serverCertificateHashes: [hash] }), token);
  const a = await connect(alice.token);
  const b = await connect(bob.token);
  const c = await connect(carol.token);
  core.routeMedia(
    create(RouteMediaRequestSchema, {
      meetingId: 'd1',
      planVersion: 1n,
      commands: [{ sourceStreamId: alice.audio, destinationParticipantIds: ['bob', 'carol'] }],
    }),
  );
  const sums = new Map<number, string>();
  const n = 100;
  for (let seq = 1; seq <= n; seq++) {
    const payload = randomBytes(160);
    sums.set(seq, checksum(payload));
    const header = {
      frameType: FrameType.Audio,
      streamId: parseStreamId(alice.audio),
      timestamp: micros(wallClockUs()),
      sequence: seq,
      payloadLength: payload.length,
      endOfFrame: true,
      discardable: false,
      audioLevel: undefined,
    };
    await a.sendDatagram(encodeMediaFrame(header, payload));
    await new Promise((r) => setTimeout(r, 2)); // paced like a microphone, roughly
  }
  // Datagrams may be lost by design; on an idle loopback they arrive. Wait for the last one at both subscribers.
  const last = (bot: MediaBot): number => bot.frames(alice.audio).at(-1)?.header.sequence ?? 0;
  const deadline = Date.now() + 15_000;
  while ((last(b) < n || last(c) < n) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  for (const bot of [b, c]) {
    const frames = bot.frames(alice.audio);
    assert.ok(frames.length > 0, 'datagrams arrived');
    for (const f of frames) assert.equal(checksum(f.payload), sums.get(f.header.sequence), 'same bytes');
  }
  const received = b.frames(alice.audio).length + c.frames(alice.audio).length;
  assert.ok(sent.datagrams >= received, 'every forwarded datagram left through sendDatagrams');
  assert.ok(sent.calls > 0 && sent.calls <= sent.datagrams);
  assert.ok(sent.batchesIn > 0, 'datagrams came in through onDatagrams');
  for (const bot of [a, b, c]) bot.close();
});
