// The issue's benchmark: M meetings x P bot participants on ONE Meeting Controller process, over a real transport
// (QUIC on loopback, or the WebSocket fallback), with meeting state in real Redis and two real media handler
// processes. The controller runs alone in its own process (scale/controller-process.ts: the deployable factory),
// the bots in other processes, so the controller's CPU and memory are its own.
//
//   node --conditions=source --import tsx services/meeting/bench/scale-bench.ts \
//     [--transport quic|websocket] [--meetings 1000] [--per-meeting 10] [--bots 4] [--rate 25|50] \
//     [--in-flight 16] [--steady-s 60] [--heartbeat-s 15] [--cpu-prof <dir>] [--out <file>]
//
// Writes bench/results/meeting-scale-<transport>.json at the repository root.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { openKeyValueStore } from '@darktower/data';
import { testRedisUrl, uniquePrefix } from '@darktower/data/testing';
import { JoinTokenIssuer, TEST_ISSUER } from '../src/testing/join-tokens.ts';
import type {
  BenchTransport,
  BotParticipant,
  BotReply,
  BotRequest,
  ControllerReady,
  ControllerRequest,
  ControllerStats,
  JoinReport,
  SteadyReport,
} from './scale/ipc.ts';

const { values: args } = parseArgs({
  options: {
    transport: { type: 'string', default: 'quic' },
    meetings: { type: 'string', default: '1000' },
    'per-meeting': { type: 'string', default: '10' },
    bots: { type: 'string', default: '4' },
    /** Joins per second (default: 25 over QUIC, whose handshakes cost the most, 50 over WebSocket). */
    rate: { type: 'string' },
    'in-flight': { type: 'string', default: '16' },
    'steady-s': { type: 'string', default: '60' },
    'heartbeat-s': { type: 'string', default: '15' },
    out: { type: 'string' },
    /** Write a V8 CPU profile of the controller into this folder (for finding hot spots). */
    'cpu-prof': { type: 'string' },
    /**
     * Scheduling priority of the controller process (os.setPriority; negative needs root). On a shared machine
     * whose load comes from other work, a negative value lets the benchmark measure the controller rather than the
     * scheduler's share; the value used is recorded in the results.
     */
    'controller-nice': { type: 'string', default: '0' },
    /** Priority of the bot and media handler processes (positive: they yield to the controller). */
    'load-nice': { type: 'string', default: '0' },
  },
});
const transportArg = args.transport;
if (transportArg !== 'quic' && transportArg !== 'websocket')
  throw new Error('--transport is quic or websocket');
const transport: BenchTransport = transportArg;
const meetings = Number(args.meetings);
const perMeeting = Number(args['per-meeting']);
const botCount = Number(args.bots);
const rate = Number(args.rate ?? (transport === 'quic' ? 25 : 50));
const inFlight = Number(args['in-flight']);
const steadyMs = Number(args['steady-s']) * 1000;
const heartbeatMs = Number(args['heartbeat-s']) * 1000;
const total = meetings * perMeeting;
const controllerNice = Number(args['controller-nice']);
const loadNice = Number(args['load-nice']);

function prioritize(child: ChildProcess, nice: number): void {
  if (nice !== 0 && child.pid !== undefined) setPriority(child.pid, nice);
}
const NODE_ARGS = ['--conditions=source', '--import', 'tsx'];
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const MEDIA_MAIN = here('../../media/src/main.ts');
const SERVICE_SECRET = `bench-${randomUUID()}`;

function percentiles(values: readonly number[]): Record<string, number> {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number): number => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
  const r = (x: number): number => Math.round(x * 100) / 100;
  return {
    count: s.length,
    p50: r(at(50)),
    p90: r(at(90)),
    p99: r(at(99)),
    max: r(s.at(-1) ?? 0),
    mean: r(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
  };
}

function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString()}] ${message}\n`);
}

/** The next IPC message of a child matching `type` (or a failure when it exits first). */
function nextMessage<T extends { type: string }>(
  child: ChildProcess,
  type: T['type'],
  timeoutMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${type} from child ${String(child.pid)} in ${String(timeoutMs)} ms`));
    }, timeoutMs);
    const onMessage = (m: { type: string }): void => {
      if (m.type !== type) return;
      cleanup();
      resolve(m as T);
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`child ${String(child.pid)} exited (${String(code)}) before ${type}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function controllerStats(mc: ChildProcess, tag: string, gc: boolean): Promise<ControllerStats> {
  const reply = nextMessage<ControllerStats>(mc, 'stats', 60_000);
  mc.send({ type: 'stats', tag, gc } satisfies ControllerRequest);
  return reply;
}

async function startMediaHandler(
  id: string,
  controllerRpc: string,
): Promise<{ proc: ChildProcess; ops: string }> {
  const proc = spawn(process.execPath, [...NODE_ARGS, MEDIA_MAIN], {
    env: {
      ...process.env,
      MH_HANDLER_ID: id,
      MH_MEDIA_PORT: '0',
      MH_RPC_PORT: '0',
      MH_OPS_PORT: '0',
      MH_LOG_LEVEL: 'warn',
      MH_SERVICE_SECRET: SERVICE_SECRET,
      MH_SERVICE_TOKEN: `svc.${id}.${SERVICE_SECRET}`,
      MH_MEETING_CONTROLLER_URL: controllerRpc,
      MH_MAX_PARTICIPANTS: String(total * 2 + 100),
      MH_MAX_STREAMS: String(total * 4 + 100),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  prioritize(proc, loadNice);
  const ready = await new Promise<{ ops: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${id} did not start`));
    }, 60_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${id} exited with ${String(code)}`));
    });
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (!line.startsWith('{"ready":true')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as { ops: string });
    });
  });
  const end = Date.now() + 60_000;
  while (
    (await fetch(`${ready.ops}/ready`).then(
      (r) => r.status,
      () => 0,
    )) !== 200
  ) {
    if (Date.now() > end) throw new Error(`${id} never registered with the controller`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { proc, ops: ready.ops };
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function metricValue(ops: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${ops}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

/** The CFS autogroup of this session and its nice value (Linux): with autogroups, nice only works inside a group. */
function schedulerGroup(): string {
  try {
    return readFileSync('/proc/self/autogroup', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const loadAtStart = loadavg();
  const prefix = uniquePrefix('mc-bench');
  const kv = await openKeyValueStore({ url: testRedisUrl(), prefix });
  await using issuer = await JoinTokenIssuer.start();
  const children: ChildProcess[] = [];
  try {
    log(`controller: ${transport}, ${String(meetings)} meetings x ${String(perMeeting)}`);
    const mc = fork(here('./scale/controller-process.ts'), [], {
      execArgv: [...NODE_ARGS, '--expose-gc'],
      env: {
        ...process.env,
        MC_PORT: '0',
        MC_WS_PORT: '0',
        MC_RPC_PORT: '0',
        MC_OPS_PORT: '0',
        REDIS_URL: testRedisUrl(),
        MC_REDIS_PREFIX: prefix,
        JOIN_TOKEN_JWKS_URL: issuer.jwks.url,
        JOIN_TOKEN_ISSUERS: TEST_ISSUER,
        MC_GC_SERVICE_TOKEN: `svc.mc.${SERVICE_SECRET}`,
        MC_MAX_CONNECTIONS: String(total + 1000),
        MC_MAX_CONNECTIONS_PER_IP: String(total + 1000),
        MC_MAX_MEETINGS: String(meetings + 100),
        MC_HEARTBEAT_INTERVAL: `${String(heartbeatMs)}ms`,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(mc);
    prioritize(mc, controllerNice);
    const ready = await nextMessage<ControllerReady>(mc, 'ready', 120_000);
    log(`controller pid ${String(ready.pid)} at ${ready.signaling} / ${ready.websocket}`);
    for (const id of ['mh-bench-1', 'mh-bench-2'])
      children.push((await startMediaHandler(id, ready.rpc)).proc);
    log('two media handlers registered');
    await new Promise((r) => setTimeout(r, 2_000));
    const baseline = await controllerStats(mc, 'baseline', true);

    const shares: BotParticipant[][] = Array.from({ length: botCount }, () => []);
    for (let m = 0; m < meetings; m++) {
      const meetingId = randomUUID();
      for (let p = 0; p < perMeeting; p++) {
        shares[m % botCount]?.push({
          meetingId,
          sub: `bot-${String(m)}-${String(p)}`,
          role: p === 0 ? 'host' : 'participant',
        });
      }
    }
    const keyPem = issuer.key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const bots = shares.map((participants, i) => {
      const bot = fork(here('./scale/bot-process.ts'), [], {
        execArgv: [...NODE_ARGS, '--max-old-space-size=4096'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(bot);
      prioritize(bot, loadNice);
      bot.send({
        type: 'setup',
        transport,
        url: transport === 'quic' ? ready.signaling : ready.websocket,
        certificateHash: ready.certificateHash,
        participants,
        keyPem,
        kid: issuer.key.kid,
        issuer: TEST_ISSUER,
        heartbeatIntervalMs: heartbeatMs,
      } satisfies BotRequest);
      log(`bot process ${String(i)}: ${String(participants.length)} participants`);
      return bot;
    });
    await Promise.all(bots.map((b) => nextMessage<BotReply & { type: 'ready' }>(b, 'ready', 60_000)));

    log(`joining ${String(total)} at up to ${String(rate)}/s, ${String(inFlight)} in flight per bot process`);
    const joinStarted = performance.now();
    // With --cpu-prof: 20 s profiles of the controller at a few sizes during the joins (and one in steady state).
    const profiled = new Set<number>();
    const profileAt = (participants: number | undefined): void => {
      const dir = args['cpu-prof'];
      if (dir === undefined || participants === undefined) return;
      const step = [0.25, 0.5, 0.75].map((f) => Math.floor(f * total)).findLast((n) => participants >= n);
      if (step === undefined || profiled.has(step)) return;
      profiled.add(step);
      mc.send({
        type: 'profile',
        ms: 20_000,
        path: `${dir}/controller-${String(step)}.cpuprofile`,
      } satisfies ControllerRequest);
    };
    const progress = setInterval(() => {
      void Promise.all([
        metricValue(ready.ops, 'dt_mc_participants'),
        metricValue(ready.ops, 'dt_mc_signaling_connections'),
      ]).then(
        ([p, c]) => {
          log(`progress: ${String(p)} participants, ${String(c)} signaling connections`);
          profileAt(p);
        },
        () => undefined,
      );
    }, 30_000);
    const joinReports = await Promise.all(
      bots.map((b) => {
        const r = nextMessage<JoinReport>(b, 'joined', 3_600_000);
        b.send({ type: 'join', ratePerSec: rate / botCount, maxInFlight: inFlight } satisfies BotRequest);
        return r;
      }),
    );
    clearInterval(progress);
    const joinWallMs = performance.now() - joinStarted;
    const afterJoinCpu = await controllerStats(mc, 'after-join', false);
    const afterJoin = await controllerStats(mc, 'after-join-gc', true);
    const joined = joinReports.reduce((n, r) => n + r.joinMs.length, 0);
    const participantsGauge = await metricValue(ready.ops, 'dt_mc_participants');
    const meetingsGauge = await metricValue(ready.ops, 'dt_mc_active_meetings');
    const connectionsGauge = await metricValue(ready.ops, 'dt_mc_signaling_connections');
    const redisKeys: Record<string, number> = {};
    for (const kind of ['meeting:', 'participant:', 'participants:', 'plan:', 'mls:', 'jti:'])
      redisKeys[kind.slice(0, -1)] = (await kv.keys(kind, { limit: 10_000 })).length;
    log(
      `${String(joined)} joined in ${(joinWallMs / 1000).toFixed(1)} s; controller says ${String(participantsGauge)} participants in ${String(meetingsGauge)} meetings`,
    );

    log(
      `steady state for ${String(steadyMs / 1000)} s: heartbeats every ${String(heartbeatMs / 1000)} s, one 3x3 layout request each`,
    );
    const steadyReports = await Promise.all(
      bots.map((b) => {
        const r = nextMessage<SteadyReport>(b, 'steady', steadyMs + 600_000);
        b.send({
          type: 'steady',
          durationMs: steadyMs,
          layoutSpreadMs: Math.min(steadyMs / 2, 30_000),
        } satisfies BotRequest);
        return r;
      }),
    );
    const afterSteadyCpu = await controllerStats(mc, 'after-steady', false);
    const afterSteady = await controllerStats(mc, 'after-steady-gc', true);

    await Promise.all(
      bots.map((b) => {
        const r = nextMessage(b, 'closed', 120_000);
        b.send({ type: 'close' } satisfies BotRequest);
        return r;
      }),
    );
    const cpuS = (s: ControllerStats): number => (s.cpuUserUs + s.cpuSystemUs) / 1e6;
    const unsolicited: Record<string, number> = {};
    for (const r of steadyReports)
      for (const [k, v] of Object.entries(r.unsolicited)) unsolicited[k] = (unsolicited[k] ?? 0) + v;
    const failures = [...joinReports.flatMap((r) => r.failures), ...steadyReports.flatMap((r) => r.failures)];
    const failureKinds: Record<string, number> = {};
    for (const f of failures) failureKinds[f.slice(0, 120)] = (failureKinds[f.slice(0, 120)] ?? 0) + 1;
    const steadyCpuS = cpuS(afterSteadyCpu) - cpuS(afterJoin);
    const result = {
      name: `meeting-scale-${transport}`,
      date: new Date().toISOString(),
      node: process.version,
      machine: `${String(cpus().length)} cores, shared with other work; loopback only`,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: loadavg(),
      setup: {
        transport:
          transport === 'quic'
            ? 'WebTransport over real QUIC on loopback (one UDP socket and QUIC connection per participant)'
            : 'WebSocket fallback on loopback (one TCP connection per participant)',
        controller: 'one process: buildMeetingController (the deployable factory), LOG_LEVEL=warn',
        state: 'real Redis (127.0.0.1:6379), prefix of its own, deleted afterwards',
        mediaHandlers: 'two real media handler processes (services/media/src/main.ts) over Connect RPC',
        bots: `${String(botCount)} bot processes; join tokens EdDSA-signed, verified by the controller against a loopback JWKS`,
        e2ee: 'meetings are created on join with E2EE on: each joiner is sent MlsKeyPackageRequest; the bots do not run MLS',
        meetings,
        participantsPerMeeting: perMeeting,
        participants: total,
        joinArrivalRatePerSec: rate,
        maxJoinsInFlightPerBotProcess: inFlight,
        heartbeatIntervalS: heartbeatMs / 1000,
        controllerNice,
        schedulerAutogroup: schedulerGroup(),
        botAndMediaHandlerNice: loadNice,
        steadyStateS: steadyMs / 1000,
      },
      joined,
      failures: failures.length,
      failureKinds,
      controllerGaugesAfterJoin: {
        participants: participantsGauge,
        meetings: meetingsGauge,
        signalingConnections: connectionsGauge,
      },
      redisKeysAfterJoin: { note: 'per kind, counted up to 10,000', ...redisKeys },
      join: {
        wallS: Math.round(joinWallMs) / 1000,
        achievedPerSec: Math.round((joined / joinWallMs) * 1000 * 10) / 10,
        joinRequestToResponseMs: percentiles(joinReports.flatMap((r) => r.joinMs)),
        connectAndOpenStreamMs: percentiles(joinReports.flatMap((r) => r.connectMs)),
        heartbeatRoundTripDuringJoinsMs: percentiles(steadyReports.flatMap((r) => r.joinPhaseHeartbeatMs)),
        controllerCpuS: Math.round((cpuS(afterJoinCpu) - cpuS(baseline)) * 100) / 100,
        controllerCpuMsPerJoin:
          Math.round(((cpuS(afterJoinCpu) - cpuS(baseline)) / Math.max(1, joined)) * 1e5) / 100,
        controllerEventLoopUtilization: Math.round(afterJoinCpu.eventLoopUtilization * 1000) / 1000,
      },
      steady: {
        connectedParticipants: steadyReports.reduce((n, r) => n + r.sessionsOpen, 0),
        heartbeatRoundTripMs: percentiles(steadyReports.flatMap((r) => r.heartbeatMs)),
        layoutRequestRoundTripMs: percentiles(steadyReports.flatMap((r) => r.layoutMs)),
        controllerCpuS: Math.round(steadyCpuS * 100) / 100,
        controllerCpuPercentOfOneCore: Math.round((steadyCpuS / (steadyMs / 1000)) * 1000) / 10,
        controllerEventLoopUtilization: Math.round(afterSteadyCpu.eventLoopUtilization * 1000) / 1000,
        unsolicitedMessagesReceived: unsolicited,
      },
      memory: {
        note: 'controller process, after two forced full GCs (--expose-gc); delta = with everyone joined minus before any join',
        baselineRssMiB: Math.round(baseline.rss / 2 ** 20),
        baselineHeapUsedMiB: Math.round(baseline.heapUsed / 2 ** 20),
        afterJoinRssMiB: Math.round(afterJoin.rss / 2 ** 20),
        afterJoinHeapUsedMiB: Math.round(afterJoin.heapUsed / 2 ** 20),
        afterJoinExternalMiB: Math.round(afterJoin.external / 2 ** 20),
        afterSteadyRssMiB: Math.round(afterSteady.rss / 2 ** 20),
        afterSteadyHeapUsedMiB: Math.round(afterSteady.heapUsed / 2 ** 20),
        rssPerParticipantKiB:
          Math.round(((afterJoin.rss - baseline.rss) / Math.max(1, joined) / 1024) * 10) / 10,
        heapPerParticipantKiB:
          Math.round(((afterJoin.heapUsed - baseline.heapUsed) / Math.max(1, joined) / 1024) * 10) / 10,
        externalPerParticipantKiB:
          Math.round(((afterJoin.external - baseline.external) / Math.max(1, joined) / 1024) * 10) / 10,
      },
      controllerCpuTotalS: Math.round((cpuS(afterSteadyCpu) - cpuS(baseline)) * 100) / 100,
    };
    console.log(JSON.stringify(result, null, 2));
    const dir = new URL('../../../bench/results/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    const name = args.out ?? `meeting-scale-${transport}.json`;
    writeFileSync(new URL(name, dir), `${JSON.stringify(result, null, 2)}\n`);
    log(`wrote bench/results/${name}`);
    const closed = nextMessage(mc, 'never', 30_000).catch(() => undefined);
    mc.send({ type: 'close' } satisfies ControllerRequest);
    await closed;
  } finally {
    await Promise.all(children.map((c) => stopProcess(c)));
    // The store lists at most 10,000 keys at a time: delete until none is left.
    for (;;) {
      const keys = await kv.keys('', { limit: 10_000 }).catch(() => []);
      if (keys.length === 0) break;
      for (let i = 0; i < keys.length; i += 1000) await kv.del(...keys.slice(i, i + 1000));
    }
    await kv.close();
  }
}

await main();
