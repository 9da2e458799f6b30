// Hostile: a publisher cannot keep publishing a stream id after unpublishing it. Through the real Meeting Controller
// process and a real handler over QUIC: UnpublishStream makes the controller register the participant again without
// the stream; the handler ends the open stream (0x02) and refuses the id from then on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { TestKey } from '@darktower/auth-verifier/testing';
import { SignalingClient } from '@darktower/client';
import { randomStreamId, StreamType } from '@darktower/protocol';
import { connectWebTransport } from '@darktower/transport';
import { sampleValue } from '@darktower/service-kit';
import { MediaBot } from '../src/testing/media-bot.ts';
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
  stack = await startControllerWithHandler('gc-unpublish', 'mh-u');
  ({ key, mc, handler } = stack);
});

after(async () => {
  await stack[Symbol.asyncDispose]();
});

/** Published streams the handler counts (its /metrics gauge, refreshed every second). */
async function activeStreams(): Promise<number> {
  const text = await (await fetch(`${handler.ops}/metrics`)).text();
  return sampleValue(text, 'dt_mh_active_streams') ?? -1;
}

test('after UnpublishStream the handler ends the stream even if the publisher keeps sending', async () => {
  const meetingId = randomUUID();
  const session = await connectWebTransport(mc.signaling, { serverCertificateHashes: [mc.hash] });
  const signaling = await SignalingClient.open(session);
  try {
    const joined = await signaling.join({
      case: 'join',
      value: {
        meetingId,
        joinToken: await joinToken(key, meetingId, 'mallory'),
        participantName: 'mallory',
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
    const media = await connectWebTransport(server.mediaHandlerUrl, {
      serverCertificateHashes: server.serverCertificateHashes,
    });
    const bot = await MediaBot.connect(media, server.connectionToken);
    try {
      // A publisher that keeps sending after UnpublishStream. (Over QUIC the handler's STOP_SENDING does not reach
      // this writer as an error, so the handler's own count of published streams is what is observed; the
      // in-memory hostile test sees the 0x02 resets, also for publishing the id again.)
      const first = await bot.publish(streamId, StreamType.VIDEO_CAMERA, 'VP08');
      const timer = setInterval(() => {
        void first.send(randomBytes(100), true).catch(() => undefined);
      }, 20);
      try {
        await eventually(async () => (await activeStreams()) === 1, 'the stream published');
        await signaling.request({ case: 'unpublish', value: { streamId } });
        await eventually(
          async () => (await activeStreams()) === 0,
          'the handler to end the unpublished stream',
        );
      } finally {
        clearInterval(timer);
      }
    } finally {
      bot.close();
    }
  } finally {
    await signaling.close();
  }
});
