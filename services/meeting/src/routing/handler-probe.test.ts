import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HandlerId, Millis, type Clock } from '../ids.ts';
import { HandlerRegistry, type HandlerSnapshot } from './handler-registry.ts';
import { HandlerProbe, httpProbe, type ProbeOutcome } from './handler-probe.ts';

const clock: Clock = { now: () => Millis(1_000) };
const MH1 = HandlerId('mh1');
const MH2 = HandlerId('mh2');

function registry(): HandlerRegistry {
  const r = new HandlerRegistry(clock, 10_000);
  for (const id of [MH1, MH2])
    r.register({
      handlerId: id,
      region: 'r',
      mediaUrl: `https://${id}.test/media`,
      rpcUrl: `http://${id}.test`,
      capacity: { maxParticipants: 10, maxStreams: 100 },
    });
  return r;
}

function scripted(answers: Map<HandlerId, (ProbeOutcome | 'throw' | 'hang')[]>) {
  return (h: HandlerSnapshot, signal: AbortSignal): Promise<ProbeOutcome> => {
    const next = answers.get(h.handlerId)?.shift() ?? 'up';
    if (next === 'throw') return Promise.reject(new Error('timeout'));
    if (next === 'hang')
      return new Promise((_, reject) => {
        signal.addEventListener('abort', () => {
          reject(new Error('aborted'));
        });
      });
    return Promise.resolve(next);
  };
}

describe('HandlerProbe', () => {
  test('a refused connection fails the handler at once; the others stay', async () => {
    const reg = registry();
    const failed: HandlerId[][] = [];
    await using probe = new HandlerProbe({
      registry: reg,
      probe: scripted(new Map([[MH1, ['refused']]])),
      onFailed: (ids) => failed.push([...ids]),
      intervalMs: 1_000,
      timeoutMs: 50,
      missesToFail: 3,
    });
    await probe.probeOnce();
    assert.deepEqual(failed, [[MH1]]);
    assert.equal(reg.get(MH1)?.health, 'unhealthy');
    assert.equal(reg.get(MH2)?.health, 'healthy');
    // A dead handler is no longer probed (its next registration or heartbeat brings it back).
    await probe.probeOnce();
    assert.deepEqual(failed, [[MH1]]);
    reg.heartbeat(MH1, { participants: 0, streams: 0 });
    assert.equal(reg.get(MH1)?.health, 'healthy');
  });

  test('unanswered probes fail a handler only after `missesToFail` in a row', async () => {
    const reg = registry();
    const failed: HandlerId[] = [];
    await using probe = new HandlerProbe({
      registry: reg,
      probe: scripted(
        new Map([
          [MH1, ['throw', 'hang', 'up', 'throw', 'hang']],
          [MH2, ['throw', 'throw', 'throw']],
        ]),
      ),
      onFailed: (ids) => failed.push(...ids),
      intervalMs: 1_000,
      timeoutMs: 30,
      missesToFail: 3,
    });
    await probe.probeOnce();
    await probe.probeOnce();
    assert.deepEqual(failed, []);
    await probe.probeOnce(); // MH1 answered (the count starts over); MH2 missed its third
    assert.deepEqual(failed, [MH2]);
    await probe.probeOnce();
    await probe.probeOnce();
    assert.deepEqual(failed, [MH2]);
    assert.equal(reg.get(MH1)?.health, 'healthy');
  });

  test('misses fail nobody while no handler answers (our own stall), and fail the silent one once another answers', async () => {
    const reg = registry();
    const failed: HandlerId[] = [];
    await using probe = new HandlerProbe({
      registry: reg,
      probe: scripted(
        new Map([
          [MH1, ['throw', 'throw', 'throw', 'throw', 'throw', 'up']],
          [MH2, ['throw', 'throw', 'throw', 'throw', 'throw', 'throw']],
        ]),
      ),
      onFailed: (ids) => failed.push(...ids),
      intervalMs: 1_000,
      timeoutMs: 30,
      missesToFail: 3,
    });
    for (let i = 0; i < 5; i++) await probe.probeOnce();
    assert.deepEqual(failed, []);
    assert.equal(reg.get(MH1)?.health, 'healthy');
    assert.equal(reg.get(MH2)?.health, 'healthy');
    await probe.probeOnce(); // MH1 answers: MH2, silent for six rounds, is failed over now
    assert.deepEqual(failed, [MH2]);
    assert.equal(reg.get(MH1)?.health, 'healthy');
  });

  test('start() probes on its own until closed; close is idempotent', async () => {
    const reg = registry();
    const seen = Promise.withResolvers<ReadonlySet<HandlerId>>();
    const probe = new HandlerProbe({
      registry: reg,
      probe: scripted(new Map([[MH2, ['up', 'refused']]])),
      onFailed: (ids) => {
        seen.resolve(ids);
      },
      intervalMs: 10,
      timeoutMs: 50,
      missesToFail: 2,
    });
    probe.start();
    assert.deepEqual([...(await seen.promise)], [MH2]);
    await probe.close();
    await probe.close();
    await probe.closed;
  });

  test('httpProbe: up while the port answers, refused once nothing listens', async () => {
    const server = http.createServer((_req, res) => {
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const reg = new HandlerRegistry(clock, 10_000);
    reg.register({
      handlerId: MH1,
      region: 'r',
      mediaUrl: 'https://x/media',
      rpcUrl: `http://127.0.0.1:${String(port)}`,
      capacity: { maxParticipants: 1, maxStreams: 1 },
    });
    const snap = reg.get(MH1);
    assert.ok(snap !== undefined);
    assert.equal(await httpProbe(snap, AbortSignal.timeout(5_000)), 'up');
    server.closeAllConnections();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
    assert.equal(await httpProbe(snap, AbortSignal.timeout(5_000)), 'refused');
  });
});
