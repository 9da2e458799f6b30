import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { delay } from './delay.ts';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
const fixture = join(import.meta.dirname, 'testing', 'shutdown-child.fixture.ts');

interface Record_ {
  message: string;
  [key: string]: unknown;
}

class Child {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly records: Record_[] = [];
  readonly exited: Promise<number | null>;
  #waiters: { match: (r: Record_) => boolean; resolve: (r: Record_) => void }[] = [];

  constructor(mode: string, timeoutMs: number) {
    this.proc = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', fixture, mode, String(timeoutMs)],
      {
        cwd: repoRoot,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.exited = once(this.proc, 'exit').then(([code]) => code as number | null);
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const record = JSON.parse(line) as Record_;
      this.records.push(record);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.match(record)) return true;
        w.resolve(record);
        return false;
      });
    });
    this.proc.stderr.resume();
  }

  waitFor(message: string): Promise<Record_> {
    const found = this.records.find((r) => r.message === message);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.push({ match: (r) => r.message === message, resolve }));
  }

  messages(): string[] {
    return this.records.map((r) => (typeof r.step === 'string' ? `${r.message}:${r.step}` : r.message));
  }
}

async function pollUntil503(url: string): Promise<Response> {
  for (let i = 0; i < 500; i++) {
    const res = await fetch(url);
    if (res.status === 503) return res;
    await res.body?.cancel();
    await delay(10);
  }
  throw new Error(`${url} never answered 503`);
}

test('SIGTERM: not ready first, then drain and close in order, then exit 0', async () => {
  const child = new Child('graceful', 20_000);
  try {
    const ready = await child.waitFor('child ready');
    const opsUrl = String(ready.ops_url);
    const appUrl = String(ready.app_url);
    assert.equal((await fetch(`${opsUrl}/ready`)).status, 200);
    assert.equal((await fetch(`${appUrl}/hello`)).status, 200);

    child.proc.kill('SIGTERM');
    const res = await pollUntil503(`${opsUrl}/ready`);
    assert.deepEqual(await res.json(), { status: 'draining', checks: {} });
    assert.equal((await fetch(`${opsUrl}/health`)).status, 503);
    // Still draining: the app keeps serving until its step runs.
    assert.equal((await fetch(`${appUrl}/hello`)).status, 200);

    child.proc.stdin.write('continue\n');
    assert.equal(await child.exited, 0);
    const steps = child.messages().filter((m) => m.startsWith('shutdown') || m === 'scope cleanup ran');
    assert.deepEqual(steps, [
      'shutdown started',
      'shutdown step:not-ready',
      'shutdown step:wait-for-parent',
      'shutdown step:close-http',
      'shutdown step:close-scope',
      'scope cleanup ran',
      'shutdown step:close-ops',
      'shutdown complete',
    ]);
    await assert.rejects(fetch(`${appUrl}/hello`));
  } finally {
    child.proc.kill('SIGKILL');
  }
});

test('a second signal forces exit 1', async () => {
  const child = new Child('graceful', 60_000);
  try {
    await child.waitFor('child ready');
    child.proc.kill('SIGTERM');
    await child.waitFor('shutdown started');
    child.proc.kill('SIGINT');
    assert.equal(await child.exited, 1);
    assert.ok(child.messages().includes('second signal: forcing exit'));
    assert.ok(!child.messages().includes('shutdown complete'));
  } finally {
    child.proc.kill('SIGKILL');
  }
});

test('a step that hangs past the timeout exits 1 naming the step', async () => {
  const child = new Child('hang', 300);
  try {
    await child.waitFor('child ready');
    child.proc.kill('SIGTERM');
    assert.equal(await child.exited, 1);
    const timedOut = child.records.find((r) => r.message === 'shutdown timed out');
    assert.equal(timedOut?.step, 'wait-for-parent');
    assert.equal(timedOut.level, 'error');
  } finally {
    child.proc.kill('SIGKILL');
  }
});
