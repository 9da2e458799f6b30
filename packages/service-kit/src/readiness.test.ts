import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from './logger.ts';
import { Readiness } from './readiness.ts';

test('concurrent callers share one run of the checks; the next call runs them again', async () => {
  let runs = 0;
  const gate = Promise.withResolvers<undefined>();
  const readiness = new Readiness({
    checks: {
      database: async () => {
        runs++;
        await gate.promise;
      },
    },
  });
  const reports = Array.from({ length: 5 }, () => readiness.check());
  gate.resolve(undefined);
  const done = await Promise.all(reports);
  assert.equal(runs, 1);
  assert.ok(done.every((r) => r.status === 'ready'));
  await readiness.check();
  assert.equal(runs, 2);
});

test('a check that ignores its signal still times out', async () => {
  const readiness = new Readiness({ timeoutMs: 20, checks: { stuck: () => new Promise(() => undefined) } });
  const report = await readiness.check();
  assert.equal(report.status, 'not_ready');
  assert.deepEqual(report.checks.stuck?.error, 'timed out after 20 ms');
});

test('long error messages are truncated; non-Error rejections are described', async () => {
  const readiness = new Readiness({
    checks: {
      long: () => Promise.reject(new Error('x'.repeat(1000))),
      weird: () => Promise.reject(new Error(String(42))),
    },
  });
  const report = await readiness.check();
  assert.equal(report.checks.long?.error?.length, 200);
  assert.equal(report.checks.weird?.error, '42');
});

test('failures and recoveries are logged once per transition', async () => {
  const lines: string[] = [];
  const logger = createLogger({
    component: 'test',
    destination: {
      write(line: string) {
        lines.push(line);
      },
    },
  });
  let healthy = false;
  const readiness = new Readiness({
    logger,
    checks: { db: () => (healthy ? Promise.resolve() : Promise.reject(new Error('down'))) },
  });
  await readiness.check();
  await readiness.check();
  healthy = true;
  await readiness.check();
  await readiness.check();
  const messages = lines.map((l) => (JSON.parse(l) as { message: string }).message);
  assert.deepEqual(messages, ['readiness check failing', 'readiness check recovered']);
});

test('invalid check names are refused', () => {
  assert.throws(
    () => new Readiness({ checks: { 'bad name': () => Promise.resolve() } }),
    /invalid check name/,
  );
});
