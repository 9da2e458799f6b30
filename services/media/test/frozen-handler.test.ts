// A media handler that stops answering (frozen or dead) must not hold up the client that leaves it. Through the real
// Meeting Controller process and a real handler process over QUIC: the SDK's MediaConnection publishes a camera, the
// handler is frozen (SIGSTOP), frames are sent until the stream's flow-control window is full and writes block, then
// the connection is closed. It closes within its grace (a second), not at QUIC's idle timeout (30 s): a failover's
// break waits on exactly this close.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { TestKey } from '@darktower/auth-verifier/testing';
import { MediaConnection, SignalingClient } from '@darktower/client';
import { parseFourCC, randomStreamId, StreamType } from '@darktower/protocol';
import { connectWebTransport } from '@darktower/transport';
import {
  eventually,
  joinToken,
  startControllerWithHandler,
  type ControllerProcess,
  type ControllerWithHandler,
} from './controller-process.ts';
import type { HandlerProcess } from './handler-process.ts';

let stack: ControllerWithHandler;
let key: TestKey;
let mc: ControllerProcess;
let handler: HandlerProcess;

before(async () => {
  stack = await startControllerWithHandler('gc-frozen', 'mh-frozen');
  ({ key, mc, handler } = stack);
});

after(async () => {
  handler.proc.kill('SIGCONT');
  await stack[Symbol.asyncDispose]();
});

test('closing a media connection to a frozen handler does not wait for QUIC to time out', async () => {
  const meetingId = randomUUID();
  const signaling = await SignalingClient.open(
    await connectWebTransport(mc.signaling, { serverCertificateHashes: [mc.hash] }),
  );
  try {
    const joined = await signaling.join({
      case: 'join',
      value: {
        meetingId,
        joinToken: await joinToken(key, meetingId, 'alice'),
        participantName: 'alice',
        protocolVersion: 1,
      },
    });
    const server = joined.mediaServers[0];
    assert.ok(server !== undefined, 'a media handler');
    const streamId = randomStreamId();
    await signaling.request({
      case: 'publish',
      value: { streamId, streamType: StreamType.VIDEO_CAMERA, metadata: { codec: 'VP8' } },
    });
    const media = await MediaConnection.open(
      await connectWebTransport(server.mediaHandlerUrl, {
        serverCertificateHashes: server.serverCertificateHashes,
      }),
      server.connectionToken,
    );
    const camera = await media.publish({
      streamId,
      streamType: StreamType.VIDEO_CAMERA,
      codec: parseFourCC('VP08'),
    });
    await camera.send({ data: randomBytes(1000), timestampUs: 0, key: true });

    assert.equal(handler.proc.kill('SIGSTOP'), true);
    // Far more than the stream window (1 MiB): the writes stop being taken and queue up.
    const sends: Promise<void>[] = [];
    for (let i = 1; i <= 100; i++)
      sends.push(camera.send({ data: randomBytes(50_000), timestampUs: i * 33_000, key: false }));
    for (const s of sends) s.catch(() => undefined);
    await eventually(
      () => camera.backlog > 0 && camera.stats.framesSent < 100,
      'writes blocked on the frozen handler',
    );
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(camera.stats.framesSent < 100, 'the window is full: frames wait');

    const outcome = await Promise.race([
      media.close().then(() => 'closed' as const),
      new Promise<'hung'>((r) => {
        setTimeout(() => {
          r('hung');
        }, 10_000).unref();
      }),
    ]);
    assert.equal(outcome, 'closed', 'the close does not wait for the frozen handler');
    assert.equal(media.state.state, 'closed');
    await Promise.allSettled(sends);
    assert.ok(camera.isClosed);
  } finally {
    handler.proc.kill('SIGCONT');
    await signaling.close();
  }
});
