// The media handler process registering with a real Meeting Controller process (services/meeting), heartbeating and
// reporting telemetry; /ready waits for the registration.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { sampleValue } from '@darktower/service-kit';
import { startHandler, type HandlerProcess } from './handler-process.ts';

const MC_MAIN = fileURLToPath(new URL('../../meeting/src/main.ts', import.meta.url));

async function startMeetingController(
  env: Record<string, string> = {},
): Promise<{ proc: ChildProcess; rpc: string; ops: string }> {
  const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MC_MAIN], {
    env: {
      ...process.env,
      MC_PORT: '0',
      MC_WS_PORT: '0',
      MC_RPC_PORT: '0',
      MC_OPS_PORT: '0',
      LOG_LEVEL: 'error',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const ready = await new Promise<{ rpc: string; ops: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('meeting controller did not start'));
    }, 20_000);
    proc.once('exit', (code) => {
      reject(new Error(`meeting controller exited with ${code}`));
    });
    lines.on('line', (line) => {
      if (!line.startsWith('{"ready":true')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as { rpc: string; ops: string });
    });
  });
  return { proc, ...ready };
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

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function healthyHandlers(ops: string): Promise<number> {
  const text = await fetch(`${ops}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
  return sampleValue(text, 'dt_mc_media_handlers', { health: 'healthy' }) ?? -1;
}

test('a restarted controller (same address, empty registry) gets the handler registered again', async () => {
  // Heartbeats every second (MC_HANDLER_TIMEOUT / 3). The restarted controller answers the next heartbeat with
  // `reregister`; the handler registers in that same beat, so it shows up healthy in the controller's
  // dt_mc_media_handlers gauge (what `darktower cluster drills` waits on before joining bots).
  const port = String(await freePort());
  const env = { MC_RPC_PORT: port, MC_HANDLER_TIMEOUT: '3s' };
  const first = await startMeetingController(env);
  procs.push(first.proc);
  const h = await startHandler('mh-again', 'reg-secret', { MH_MEETING_CONTROLLER_URL: first.rpc });
  handlers.push(h);
  const deadline = (ms: number) => Date.now() + ms;
  for (const end = deadline(10_000); (await healthyHandlers(first.ops)) !== 1;) {
    assert.ok(Date.now() < end, 'the handler never registered');
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise((resolve) => first.proc.once('exit', resolve));
  first.proc.kill('SIGKILL');
  await exited;
  const second = await startMeetingController(env);
  procs.push(second.proc);
  const restartedAt = Date.now();
  for (const end = deadline(10_000); (await healthyHandlers(second.ops)) !== 1;) {
    assert.ok(Date.now() < end, 'the handler did not register with the restarted controller within 10 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(Date.now() - restartedAt < 10_000);
});
