// buildMediaHandler in process: a media session over the WebSocket fallback (same protocol, same handler) next to one
// over QUIC, with the ops endpoints.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { randomBytes } from 'node:crypto';
import {
  RegisterParticipantRequestSchema,
  RouteMediaRequestSchema,
  randomStreamId,
  StreamType,
} from '@darktower/protocol';
import { connectWebSocket, connectWebTransport } from '@darktower/transport';
import { createLogger } from '@darktower/service-kit';
import {
  buildMediaHandler,
  type MediaHandler,
  type MediaHandlerAddresses,
} from '../src/service/build-media-handler.ts';
import { loadMediaConfig } from '../src/service/config.ts';
import { checksum } from '../src/testing/frames.ts';
import { MediaBot } from '../src/testing/media-bot.ts';

const until = async (cond: () => boolean, what: string, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

let handler: MediaHandler;
let addr: MediaHandlerAddresses;
before(async () => {
  const config = loadMediaConfig({
    env: {
      MH_MEDIA_PORT: '0',
      MH_RPC_PORT: '0',
      MH_OPS_PORT: '0',
      MH_SERVICE_SECRET: 'ws-test',
      MH_LOG_LEVEL: 'warn',
    },
  });
  handler = buildMediaHandler(config, { logger: createLogger({ component: 'media-test', level: 'warn' }) });
  addr = await handler.listen();
});
after(async () => {
  await handler.close();
});

function registerOne(participantId: string) {
  const video = randomStreamId();
  const res = handler.core.registerParticipant(
    create(RegisterParticipantRequestSchema, {
      participant: {
        participantId,
        meetingId: 'ws',
        streams: [{ streamId: video, streamType: StreamType.VIDEO_CAMERA }],
      },
    }),
  );
  return { token: res.connectionToken, video };
}

test('a WebSocket-fallback subscriber and a QUIC publisher share one handler', async () => {
  assert.equal((await fetch(`${addr.ops.url}/health`)).status, 200);
  assert.equal((await fetch(`${addr.ops.url}/ready`)).status, 200);
  const alice = registerOne('alice');
  const bob = registerOne('bob');
  const a = await MediaBot.connect(
    await connectWebTransport(addr.media, { serverCertificateHashes: [addr.certificateHash] }),
    alice.token,
  );
  const b = await MediaBot.connect(await connectWebSocket(`${addr.rpc}/media`), bob.token);
  assert.equal(b.session.protocol, 'websocket');
  handler.core.routeMedia(
    create(RouteMediaRequestSchema, {
      meetingId: 'ws',
      planVersion: 1n,
      commands: [{ sourceStreamId: alice.video, destinationParticipantIds: ['bob'] }],
    }),
  );
  const video = await a.publish(alice.video, StreamType.VIDEO_CAMERA, 'vp09');
  const sums: string[] = [];
  for (let i = 0; i < 50; i++) {
    const p = randomBytes(700);
    sums.push(checksum(p));
    await video.send(p, i === 0);
    await new Promise((r) => setTimeout(r, 1));
  }
  await until(() => b.frames(alice.video).length === 50, 'frames over the WebSocket fallback');
  assert.deepEqual(
    b.frames(alice.video).map((f) => checksum(f.payload)),
    sums,
  );
  a.close();
  b.close();
});
