// Redundancy is restored, not only used up (architecture.md "Media Handler Failure": the controller assigns an
// additional handler, the client connects in the background). The real Meeting Controller (process), real media
// handler processes and the client SDK over real QUIC on loopback: participants join while one handler is up and
// get no standby; a second handler registers and they get it (MediaServersUpdate, connected); the first is killed
// and media resumes on the second; a third registers and becomes their new standby, so a second failure is survived
// too; finally both of their handlers die at once and they get a fresh primary on a handler that was idle.
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

describe('media handler redundancy is restored when handlers register', () => {
  const secret = randomBytes(12).toString('hex');
  const meetingId = randomUUID();
  let jwks: JwksServer;
  let key: TestKey;
  let mc: ControllerProcess;
  const handlers = new Map<string, HandlerProcess>();
  const stop = new AbortController();
  const runs: Promise<void>[] = [];
  let alice: Meeting;
  let bob: Meeting;
  /** Per kind: the capture time (ms) of the newest frame bob received from alice. */
  const newest = new Map<string, number>();
  const warnings: string[] = [];

  const start = async (id: string): Promise<void> => {
    const h = await startHandler(id, secret, {
      MH_MEETING_CONTROLLER_URL: mc.rpc,
      MH_HEARTBEAT_INTERVAL: '500ms',
    });
    handlers.set(id, h);
    await eventually(async () => (await fetch(`${h.ops}/ready`)).status === 200, `${id} registered`);
  };

  const kill = async (...ids: string[]): Promise<number> => {
    const at = Date.now();
    for (const id of ids) handlers.get(id)?.proc.kill('SIGKILL');
    for (const id of ids) await handlers.get(id)?.stop();
    for (const id of ids) handlers.delete(id);
    return at;
  };

  // Well under the controller's 30 s safety pass: what happens here must come from the triggers (a handler
  // registering, a failover), not from the pass that would eventually catch up anyway.
  const soon = (check: () => boolean, what: string): Promise<void> =>
    eventually(check, what, 15_000).catch((error: unknown) => {
      // What each side was connected to when it gave up: which step of the failover did not happen.
      throw new Error(
        `${error instanceof Error ? error.message : String(error)} (alice: ${alice.mediaHandlerIds.join()}, bob: ${bob.mediaHandlerIds.join()}, warnings: ${JSON.stringify(warnings)})`,
      );
    });

  const mediaAfter = (t: number, what: string): Promise<void> =>
    soon(
      () => (newest.get('camera') ?? 0) > t && (newest.get('audio') ?? 0) > t,
      `${what}: frames captured after ${String(t)} on both streams`,
    );

  const join = (name: string): Promise<Meeting> =>
    Meeting.join({
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
      log: { warn: (message) => warnings.push(message) },
    });

  before(async () => {
    jwks = await JwksServer.start();
    key = makeTestKey('gc-redundancy');
    jwks.keys = [key];
    mc = await startController({
      JOIN_TOKEN_JWKS_URL: jwks.url,
      JOIN_TOKEN_ISSUERS: ISSUER,
      MC_GC_SERVICE_TOKEN: `svc.controller.${secret}`,
      MC_SWEEP_INTERVAL: '200ms',
      // Long: only the registration trigger and the health check (not timeouts or the safety pass) act here.
      MC_HANDLER_TIMEOUT: '20s',
      MC_HANDLER_PROBE_INTERVAL: '100ms',
      LOG_LEVEL: 'error',
    });
  });

  after(async () => {
    stop.abort();
    await Promise.allSettled(runs);
    await Promise.allSettled([alice.close(), bob.close()]);
    await Promise.allSettled([...handlers.values()].map((h) => h.stop()));
    mc.proc.kill('SIGTERM');
    await jwks.close();
  });

  test('joined with the only handler: a second one registers, becomes the standby, takes over on a kill', async () => {
    await start('mh-a');
    alice = await join('alice');
    bob = await join('bob');
    assert.deepEqual(alice.mediaHandlerIds, ['mh-a'], 'one handler registered at join: no standby');
    assert.deepEqual(bob.mediaHandlerIds, ['mh-a']);
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
    bob.events.on('remoteFrame', (f) => {
      const info = readSyntheticPayload(f.payload);
      assert.ok(info !== undefined, 'frames arrive intact');
      newest.set(f.kind, Math.max(newest.get(f.kind) ?? 0, info.capturedAtUs / 1000));
    });
    await mediaAfter(0, 'alice media at bob');

    await start('mh-b');
    await soon(
      () => alice.mediaHandlerIds.join() === 'mh-a,mh-b' && bob.mediaHandlerIds.join() === 'mh-a,mh-b',
      'both connected to the new standby mh-b (primary still mh-a)',
    );

    const killedAt = await kill('mh-a');
    await mediaAfter(killedAt, 'after mh-a died');
    assert.deepEqual(alice.mediaHandlerIds, ['mh-b'], 'alice publishes to mh-b, no standby left');
    assert.equal(alice.state.state, 'joined');
    assert.equal(bob.state.state, 'joined');
    assert.deepEqual(warnings, []);
  });

  test('after the failover a third handler registers and becomes the new standby: a second kill is survived', async () => {
    await start('mh-c');
    await soon(
      () => alice.mediaHandlerIds.join() === 'mh-b,mh-c' && bob.mediaHandlerIds.join() === 'mh-b,mh-c',
      'both connected to the new standby mh-c',
    );
    const killedAt = await kill('mh-b');
    await mediaAfter(killedAt, 'after mh-b died');
    assert.deepEqual(alice.mediaHandlerIds, ['mh-c']);
    assert.equal(alice.state.state, 'joined');
    assert.equal(bob.state.state, 'joined');
  });

  test('all of their handlers die at once: a fresh primary on a handler that has room', async () => {
    await start('mh-d');
    await soon(
      () => alice.mediaHandlerIds.join() === 'mh-c,mh-d' && bob.mediaHandlerIds.join() === 'mh-c,mh-d',
      'standby mh-d',
    );
    await start('mh-e');
    // Redundancy is 2: nobody needs mh-e yet.
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(alice.mediaHandlerIds, ['mh-c', 'mh-d']);
    const killedAt = await kill('mh-c', 'mh-d');
    await mediaAfter(killedAt, 'after mh-c and mh-d died');
    await soon(
      () => alice.mediaHandlerIds[0] === 'mh-e' && bob.mediaHandlerIds[0] === 'mh-e',
      'both moved to mh-e',
    );
    assert.equal(alice.state.state, 'joined');
    assert.equal(bob.state.state, 'joined');
    assert.deepEqual(warnings, []);
  });
});
