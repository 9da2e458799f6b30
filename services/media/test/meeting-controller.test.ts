// The media handler process registering with a real Meeting Controller process (services/meeting), heartbeating and
// reporting telemetry; /ready waits for the registration.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startHandler, type HandlerProcess } from './handler-process.ts';

const MC_MAIN = fileURLToPath(new URL('../../meeting/src/main.ts', import.meta.url));

async function startMeetingController(): Promise<{ proc: ChildProcess; rpc: string }> {
  const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MC_MAIN], {
    env: {
      ...process.env,
      MC_PORT: '0',
      MC_WS_PORT: '0',
      MC_RPC_PORT: '0',
      MC_OPS_PORT: '0',
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const rpc = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('meeting controller did not start'));
    }, 20_000);
    proc.once('exit', (code) => {
      reject(new Error(`meeting controller exited with ${code}`));
    });
    lines.on('line', (line) => {
      if (!line.startsWith('{"ready":true')) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { rpc: string }).rpc);
    });
  });
  return { proc, rpc };
}

const procs: ChildProcess[] = [];
const handlers: HandlerProcess[] = [];
after(async () => {
  await Promise.all(handlers.map((h) => h.stop()));
  for (const p of procs) p.kill('SIGTERM');
});

test('registers with the meeting controller; /ready follows the registration', async () => {
  const mc = await startMeetingController();
  procs.push(mc.proc);
  const h = await startHandler('mh-reg', 'reg-secret', {
    MH_MEETING_CONTROLLER_URL: mc.rpc,
    MH_HEARTBEAT_INTERVAL: '200ms',
  });
  handlers.push(h);
  let status = 0;
  let body: unknown;
  for (let i = 0; i < 100 && status !== 200; i++) {
    const res = await fetch(`${h.ops}/ready`);
    status = res.status;
    body = await res.json();
    if (status !== 200) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal((body as { checks: Record<string, { status: string }> }).checks.registered?.status, 'ok');
});

test('without a reachable controller the handler is alive but not ready', async () => {
  const h = await startHandler('mh-lonely', 'reg-secret', {
    MH_MEETING_CONTROLLER_URL: 'http://127.0.0.1:9',
    MH_HEARTBEAT_INTERVAL: '200ms',
  });
  handlers.push(h);
  assert.equal((await fetch(`${h.ops}/health`)).status, 200);
  const res = await fetch(`${h.ops}/ready`);
  assert.equal(res.status, 503);
  const body = (await res.json()) as { checks: Record<string, { status: string }> };
  assert.equal(body.checks.registered?.status, 'fail');
  assert.equal(body.checks.media_port?.status, 'ok');
});
