import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deadline, isTimeoutError, withTimeout } from './deadline.ts';
import { delay } from './delay.ts';

test('deadline aborts with a TimeoutError after ms', async () => {
  const d = deadline(10);
  await new Promise((resolve) => {
    d.signal.addEventListener('abort', resolve);
  });
  assert.ok(isTimeoutError(d.signal.reason));
});

test('deadline follows its parent and clear() detaches it', () => {
  const parent = new AbortController();
  const d = deadline(60_000, parent.signal);
  const reason = new Error('cancelled');
  parent.abort(reason);
  assert.equal(d.signal.reason, reason);

  const parent2 = new AbortController();
  const d2 = deadline(60_000, parent2.signal);
  d2.clear();
  parent2.abort(new Error('late'));
  assert.equal(d2.signal.aborted, false);

  const d3 = deadline(60_000, AbortSignal.abort(reason));
  assert.equal(d3.signal.reason, reason);
  assert.throws(() => deadline(-1), RangeError);
});

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

test('disposing a deadline clears its timer', () => {
  const before = timers();
  {
    using d = deadline(60_000);
    assert.equal(d.signal.aborted, false);
    assert.equal(timers(), before + 1);
  }
  assert.equal(timers(), before);
});

test('withTimeout resolves with the value and leaves no timer behind', async () => {
  const before = timers();
  assert.equal(await withTimeout(Promise.resolve(42), 60_000), 42);
  assert.equal(await withTimeout((signal) => Promise.resolve(signal.aborted ? 0 : 7), 60_000), 7);
  await assert.rejects(withTimeout(Promise.reject(new Error('x')), 60_000));
  assert.equal(timers(), before);
});

test('withTimeout rejects with TimeoutError and aborts the work', async () => {
  let workSignal: AbortSignal | undefined;
  await assert.rejects(
    withTimeout((signal) => {
      workSignal = signal;
      return new Promise<never>(() => undefined);
    }, 10),
    (error: unknown) => isTimeoutError(error),
  );
  assert.equal(workSignal?.aborted, true);
});

test('withTimeout rejects with the caller signal reason', async () => {
  const controller = new AbortController();
  const reason = new Error('caller gave up');
  const pending = withTimeout(new Promise<never>(() => undefined), 60_000, controller.signal);
  controller.abort(reason);
  await assert.rejects(pending, (error: unknown) => error === reason);
  await assert.rejects(
    withTimeout(Promise.resolve(1), 60_000, AbortSignal.abort(reason)),
    (e: unknown) => e === reason,
  );
});

test('withTimeout passes the work rejection through', async () => {
  await assert.rejects(withTimeout(Promise.reject(new Error('work failed')), 60_000), /work failed/);
});

test('delay resolves, and rejects on abort', async () => {
  await delay(1);
  const controller = new AbortController();
  const pending = delay(60_000, controller.signal);
  controller.abort(new Error('stop'));
  await assert.rejects(pending, /stop/);
  await assert.rejects(delay(1, AbortSignal.abort(new Error('already'))), /already/);
});
