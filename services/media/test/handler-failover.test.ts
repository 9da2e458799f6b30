// A media handler dies and comes back, with the real Meeting Controller (process) and the client SDK over real QUIC:
// participants are connected to two handlers; when the one carrying their media is killed (SIGKILL), the controller's
// health check notices, it moves them to the standby and reroutes, the SDK moves its streams there, and the
// subscriber receives frames captured after the kill on every stream. The killed handler then restarts, registers
// again, and new participants get it as a handler again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { JwksServer, makeTestKey, type TestKey } from '@darktower/auth-verifier/testing';
import { Meeting, readSyntheticPayload, SyntheticSource } from '@darktower/client';
import { nodeConnector } from '@darktower/client/node';
import {
  eventually,
  ISSUER,
  joinToken,
  startController,
  type ControllerProcess,
} from './controller-process.ts';
import { startHandler, type HandlerProcess } from './handler-process.ts';

describe('a media handler dies: participants move to their standby handler with the controller', () => {
  const secret = randomBytes(12).toString('hex');
  const meetingId = randomUUID();
  let jwks: JwksServer;
  let key: TestKey;
  let mc: ControllerProcess;
  const handlers = new Map<string, HandlerProcess>();
  const meetings: Meeting[] = [];
  const stop = new AbortController();
  const runs: Promise<void>[] = [];

  const handlerEnv = (): Record<string, string> => ({
    MH_MEETING_CONTROLLER_URL: mc.rpc,
    MH_HEARTBEAT_INTERVAL: '500ms',
    // Calls from the controller carry `svc.controller.<secret>` (MC_GC_SERVICE_TOKEN below).
  });

  const join = async (name: string): Promise<Meeting> => {
    const meeting = await Meeting.join({
      meeting: meetingId,
      displayName: name,
      connector: nodeConnector({ only: 'webtransport', serverCertificateHashes: [mc.hash] }),
      grant: async () => ({
        meetingId,
        joinToken: await joinToken(key, meetingId, name),
        meetingControllerUrl: mc.signaling,
        role: 'participant',
        expiresAt: new Date(Date.now() + 300_000).toISOString(),
      }),
      reconnectAttempts: 0,
    });
    meetings.push(meeting);
    return meeting;
  };

  before(async () => {
    jwks = await JwksServer.start();
    key = makeTestKey('gc-failover');
    jwks.keys = [key];
    mc = await startController({
      JOIN_TOKEN_JWKS_URL: jwks.url,
      JOIN_TOKEN_ISSUERS: ISSUER,
      MC_GC_SERVICE_TOKEN: `svc.controller.${secret}`,
      MC_SWEEP_INTERVAL: '200ms',
      // Long enough that only the health check (not the heartbeat timeout) can explain a fast failover.
      MC_HANDLER_TIMEOUT: '20s',
      MC_HANDLER_PROBE_INTERVAL: '100ms',
      LOG_LEVEL: 'error',
    });
    for (const id of ['mh-a', 'mh-b']) handlers.set(id, await startHandler(id, secret, handlerEnv()));
    for (const h of handlers.values())
      await eventually(async () => (await fetch(`${h.ops}/ready`)).status === 200, 'handler registered');
  });

  after(async () => {
    stop.abort();
    await Promise.allSettled(runs);
    await Promise.allSettled(meetings.map((m) => m.close()));
    await Promise.allSettled([...handlers.values()].map((h) => h.stop()));
    mc.proc.kill('SIGTERM');
    await jwks.close();
  });

  test('the publisher moves its streams, the subscriber receives them again, the handler comes back', async () => {
    const alice = await join('alice');
    const bob = await join('bob');
    assert.equal(alice.mediaHandlerIds.length, 2, 'alice has a standby handler');
    assert.equal(bob.mediaHandlerIds.length, 2, 'bob has a standby handler');

    for (const kind of ['video', 'audio'] as const) {
      const publication = await alice.publish(
        kind === 'video'
          ? { kind: 'camera', codec: 'VP8', width: 320, height: 180 }
          : { kind: 'audio', codec: 'Opus' },
      );
      const source = new SyntheticSource({ kind, fps: kind === 'video' ? 15 : 50 });
      publication.events.on('keyframeRequested', () => {
        source.requestKeyframe();
      });
      runs.push(source.run((frame) => publication.send(frame), stop.signal));
    }
    await bob.setLayout({ kind: 'grid', rows: 1, columns: 1 });

    // Per kind: the capture time (ms) of the newest frame bob received from alice.
    const newest = new Map<string, number>();
    const sources = new Set<string>();
    bob.events.on('remoteFrame', (f) => {
      const info = readSyntheticPayload(f.payload);
      assert.ok(info !== undefined, 'frames arrive intact');
      sources.add(f.sourceStreamId);
      newest.set(f.kind, Math.max(newest.get(f.kind) ?? 0, info.capturedAtUs / 1000));
    });
    await eventually(() => newest.has('camera') && newest.has('audio'), 'alice media at bob');

    const carrier = alice.mediaHandlerIds[0];
    assert.ok(carrier !== undefined);
    const victim = handlers.get(carrier);
    assert.ok(victim !== undefined, `alice sends to ${carrier}`);
    const killedAt = Date.now();
    victim.proc.kill('SIGKILL');
    await victim.stop();
    handlers.delete(carrier);

    await eventually(
      () => (newest.get('camera') ?? 0) > killedAt && (newest.get('audio') ?? 0) > killedAt,
      'frames captured after the kill, on both streams',
    );
    const standby = [...handlers.keys()][0];
    assert.equal(alice.mediaHandlerIds[0], standby, 'alice publishes to the standby now');
    assert.equal(alice.state.state, 'joined');
    assert.equal(bob.state.state, 'joined');
    assert.equal(sources.size, 2, 'the same two source streams, not new ones');

    // The killed handler restarts under the same id, registers again and takes new participants as a handler.
    const restarted = await startHandler(carrier, secret, handlerEnv());
    handlers.set(carrier, restarted);
    await eventually(
      async () => (await fetch(`${restarted.ops}/ready`)).status === 200,
      'restarted handler ready',
    );
    await eventually(async () => {
      const carol = await join(`carol-${String(meetings.length)}`);
      const ok = carol.mediaHandlerIds.includes(carrier);
      await carol.leave();
      return ok;
    }, 'a new participant connected to the restarted handler');
  });
});
