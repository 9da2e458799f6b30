import { test } from 'node:test';
import assert from 'node:assert/strict';
import { installGracefulShutdown, type ShutdownStep } from './graceful-shutdown.ts';
import { createLogger } from './logger.ts';

function run(steps: ShutdownStep[], timeoutMs = 10_000) {
  const lines: string[] = [];
  const logger = createLogger({
    component: 'test',
    destination: {
      write(line: string) {
        lines.push(line);
      },
    },
  });
  const exit = Promise.withResolvers<number>();
  const shutdown = installGracefulShutdown({ logger, steps, timeoutMs, signals: [], exit: exit.resolve });
  const messages = () => lines.map((l) => JSON.parse(l) as { message: string; step?: string; level: string });
  return { shutdown, exit: exit.promise, messages };
}

test('a failing step is logged, later steps still run, exit code is 1', async () => {
  const ran: string[] = [];
  const { shutdown, exit, messages } = run([
    { name: 'a', run: () => ran.push('a') },
    {
      name: 'b',
      run: () => {
        throw new Error('b broke');
      },
    },
    { name: 'c', run: () => Promise.resolve(ran.push('c')) },
  ]);
  assert.equal(shutdown.shuttingDown, false);
  await Promise.all([shutdown.shutdown('test'), shutdown.shutdown('again')]);
  assert.equal(shutdown.shuttingDown, true);
  assert.equal(await exit, 1);
  assert.deepEqual(ran, ['a', 'c']);
  const failed = messages().find((m) => m.message === 'shutdown step failed');
  assert.equal(failed?.step, 'b');
  assert.equal(failed.level, 'error');
});

test('all steps succeeding exits 0', async () => {
  const { shutdown, exit } = run([{ name: 'only', run: () => Promise.resolve() }]);
  await shutdown.shutdown('test');
  assert.equal(await exit, 0);
});

test('a step that honours the abort signal on timeout ends the shutdown with exit 1', async () => {
  let sawAbort = false;
  const { shutdown, exit, messages } = run(
    [
      {
        name: 'slow',
        run: (signal) =>
          new Promise<void>((_resolve, reject) => {
            signal.addEventListener('abort', () => {
              sawAbort = true;
              reject(signal.reason as Error);
            });
          }),
      },
      { name: 'never', run: () => assert.fail('steps after a timeout must not run') },
    ],
    30,
  );
  await shutdown.shutdown('test');
  assert.equal(await exit, 1);
  assert.ok(sawAbort);
  assert.ok(messages().some((m) => m.message === 'shutdown timed out' && m.step === 'slow'));
});

test('uninstall removes the signal handlers', () => {
  const before = process.listenerCount('SIGUSR2');
  const shutdown = installGracefulShutdown({
    logger: createLogger({ component: 'test', level: 'silent' }),
    steps: [],
    signals: ['SIGUSR2'],
    exit: () => undefined,
  });
  assert.equal(process.listenerCount('SIGUSR2'), before + 1);
  shutdown.uninstall();
  assert.equal(process.listenerCount('SIGUSR2'), before);
});
