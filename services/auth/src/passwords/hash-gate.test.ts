import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HashGate, isHashGateFull } from './hash-gate.ts';

test('runs at most maxRunning at once, queues maxQueued, refuses the rest', async () => {
  const gate = new HashGate(2, 1);
  let running = 0;
  let peak = 0;
  const releases: (() => void)[] = [];
  const job = (): Promise<void> =>
    gate.run(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((r) => releases.push(r));
      running--;
    });
  const a = job();
  const b = job();
  const c = job(); // queued
  await assert.rejects(job(), (e: unknown) => isHashGateFull(e));
  await new Promise((r) => setImmediate(r));
  assert.equal(releases.length, 2);
  releases.shift()?.();
  await a;
  await new Promise((r) => setImmediate(r));
  assert.equal(releases.length, 2, 'the queued job took the freed slot');
  releases.splice(0).forEach((r) => {
    r();
  });
  await Promise.all([b, c]);
  assert.equal(peak, 2);
  await gate.run(() => Promise.resolve()); // slots all returned
});
