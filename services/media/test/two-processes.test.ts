// Two real handler processes (src/main.ts) on loopback: the Connect RPC surface, cascading over a real QUIC
// handler-to-handler session, the ops endpoints, and a handler restart with the client moving to the new one.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { MediaHandlerService, randomStreamId, RouteAction, StreamType } from '@darktower/protocol';
import { connectWebTransport } from '@darktower/transport';
import { checksum } from '../src/testing/frames.ts';
import { MediaBot } from '../src/testing/media-bot.ts';
import { startHandler, type HandlerProcess } from './handler-process.ts';

const SECRET = 'process-test-secret';
const until = async (cond: () => boolean, what: string, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

async function registerOn(
  h: HandlerProcess,
  meetingId: string,
  participantId: string,
  video = randomStreamId(),
) {
  const res = await h.client.registerParticipant({
    participant: {
      participantId,
      meetingId,
      streams: [{ streamId: video, streamType: StreamType.VIDEO_CAMERA, metadata: { codec: 'vp09' } }],
    },
  });
  return { token: res.connectionToken, url: res.mediaHandlerUrl, hashes: res.serverCertificateHashes, video };
}

async function bot(reg: { token: string; url: string; hashes: Uint8Array[] }): Promise<MediaBot> {
  return MediaBot.connect(
    await connectWebTransport(reg.url, { serverCertificateHashes: reg.hashes }),
    reg.token,
  );
}

describe('two media handler processes', () => {
  const started: HandlerProcess[] = [];
  after(async () => {
    await Promise.all(started.map((h) => h.stop()));
  });

  test('RPC needs a service token; cascading delivers the same bytes; a restarted handler takes the client back', async () => {
    const a = await startHandler('mha', SECRET);
    started.push(a);
    let b = await startHandler('mhb', SECRET);
    started.push(b);

    // No token, no service.
    const anonymous = createClient(
      MediaHandlerService,
      createConnectTransport({ baseUrl: a.rpc, httpVersion: '1.1' }),
    );
    await assert.rejects(
      anonymous.getStats({}),
      (e) => e instanceof ConnectError && e.code === Code.Unauthenticated,
    );

    const ready = await fetch(`${a.ops}/ready`);
    assert.equal(ready.status, 200);

    const alice = await registerOn(a, 'm1', 'alice');
    let dave = await registerOn(b, 'm1', 'dave');
    const aliceBot = await bot(alice);
    let daveBot = await bot(dave);

    const link = async (peer: HandlerProcess, version: bigint) => {
      await a.client.setupCascade({
        meetingId: 'm1',
        peerHandlerId: 'mhb',
        peerMediaUrl: peer.media,
        serviceToken: `svc.mha.${SECRET}`,
        peerServerCertificateHashes: [peer.hash],
      });
      await a.client.routeMedia({
        meetingId: 'm1',
        planVersion: version,
        commands: [
          {
            sourceStreamId: alice.video,
            action: RouteAction.ADD,
            destinations: [{ target: { case: 'remote', value: { handlerId: 'mhb' } } }],
          },
        ],
      });
      await peer.client.routeMedia({
        meetingId: 'm1',
        planVersion: 1n,
        commands: [{ sourceStreamId: alice.video, destinationParticipantIds: ['dave'] }],
      });
    };
    await link(b, 1n);

    const video = await aliceBot.publish(alice.video, StreamType.VIDEO_CAMERA, 'vp09');
    const sendBatch = async (n: number) => {
      const sums: string[] = [];
      for (let i = 0; i < n; i++) {
        const payload = randomBytes(800);
        sums.push(checksum(payload));
        await video.send(payload, i === 0);
        await new Promise((r) => setTimeout(r, 2));
      }
      return sums;
    };
    const sums = await sendBatch(100);
    await until(() => daveBot.frames(alice.video).length === 100, 'frames through the cascade');
    assert.deepEqual(
      daveBot.frames(alice.video).map((f) => checksum(f.payload)),
      sums,
    );

    // Gauges refresh once a second.
    let metrics = '';
    for (let i = 0; i < 50 && !/dt_mh_cascade_links\{[^}]*\} 1/.test(metrics); i++) {
      metrics = await (await fetch(`${b.ops}/metrics`)).text();
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(metrics, /dt_mh_cascade_links\{[^}]*\} 1/);
    assert.match(metrics, /dt_mh_frames_forwarded\{[^}]*\} [1-9]/);
    const stats = await b.client.getStats({});
    assert.equal(stats.load?.cascades, 1);

    // mhb restarts; the controller re-registers dave on the new process, re-links and re-routes; dave reconnects.
    assert.equal(await b.stop(), 0);
    b = await startHandler('mhb', SECRET);
    started.push(b);
    dave = await registerOn(b, 'm1', 'dave');
    daveBot = await bot(dave);
    await link(b, 2n);
    // The old link is gone with the old process; a key frame request travels over the new one, then frames flow.
    const again = await sendBatch(50);
    await until(() => daveBot.frames(alice.video).length > 0, 'frames after the restart');
    const got = daveBot.frames(alice.video).map((f) => checksum(f.payload));
    // dave waits for a key frame after (re)subscribing: what arrives is a suffix of what was sent, all intact.
    assert.ok(got.every((s) => again.includes(s)));
    aliceBot.close();
    daveBot.close();
  });
});
