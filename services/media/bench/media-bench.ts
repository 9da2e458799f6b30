// `npm run bench -w @darktower/media`: N publishers x M subscribers through one media handler process over real
// QUIC on loopback, against a plain UDP relay doing the same fan-out, plus the forwarding core alone.
// Writes /work/main/bench/results/media.json (or BENCH_OUT).
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wallClockUs } from '../src/testing/media-bot.ts';
import { Child, type CpuMem } from './child.ts';
import { runCoreBench } from './core-bench.ts';
import { percentile, round } from './stats.ts';

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.BENCH_PUBLISHERS ?? 4);
const M = Number(process.env.BENCH_SUBSCRIBERS ?? 4);
const PAYLOAD = Number(process.env.BENCH_PAYLOAD ?? 1000);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 4000);
const WARMUP_MS = 1000;
/** BENCH_DATAGRAMS=1: audio frames as QUIC datagrams through the handler (else video frames on streams). */
const DATAGRAMS = process.env.BENCH_DATAGRAMS === '1';
const OUT =
  process.env.BENCH_OUT ??
  resolve(here, `../../../bench/results/${DATAGRAMS ? 'media-datagrams' : 'media'}.json`);

interface RunResult {
  offeredPacketsInPerSecond: number;
  forwardedPacketsPerSecond: number;
  forwardedMbitPerSecond: number;
  delayP50Ms: number;
  delayP99Ms: number;
  handlerCpuPercent: number;
  handlerCpuSecondsPerForwardedMbit: number;
  forwardedPacketsPerHandlerCpuSecond: number;
  handlerRssMb: number;
  lostOrDroppedPercent: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `send` at `rate` per second (in small bursts) until `until`; falls behind when the sender is saturated. */
async function paced(rate: number, until: number, send: () => Promise<void> | void): Promise<number> {
  const start = performance.now();
  let sent = 0;
  while (performance.now() < until) {
    const due = Math.floor(((performance.now() - start) * rate) / 1000);
    while (sent < due && performance.now() < until) {
      const p = send();
      if (p !== undefined) await p;
      sent++;
    }
    await sleep(1);
  }
  return sent;
}

function summarize(
  delaysUs: number[],
  received: number,
  sentIn: number,
  seconds: number,
  before: CpuMem,
  after: CpuMem,
): RunResult {
  const cpuS = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6;
  const mbit = (received * (PAYLOAD + 46) * 8) / 1e6;
  return {
    offeredPacketsInPerSecond: Math.round(sentIn / seconds),
    forwardedPacketsPerSecond: Math.round(received / seconds),
    forwardedMbitPerSecond: round(mbit / seconds),
    delayP50Ms: round(percentile(delaysUs, 50) / 1000, 3),
    delayP99Ms: round(percentile(delaysUs, 99) / 1000, 3),
    handlerCpuPercent: round((cpuS / seconds) * 100, 1),
    handlerCpuSecondsPerForwardedMbit: round(cpuS / Math.max(mbit, 1e-9), 5),
    forwardedPacketsPerHandlerCpuSecond: Math.round(received / Math.max(cpuS, 1e-9)),
    handlerRssMb: round(after.mem.rss / 1e6, 1),
    lostOrDroppedPercent: round(100 * (1 - received / Math.max(1, sentIn * M)), 2),
  };
}

async function runQuic(rateIn: number): Promise<
  RunResult & {
    handlerQueueDrops: number;
    handlerHandedToTransport: number;
    handedToTransportPerHandlerCpuSecond: number;
    udpPacketsSentPerFrame: number;
    udpPacketsReceivedPerFrame: number;
    handlerKernelCpuShare: number;
  }
> {
  // BENCH_PROFILE=<dir>: CPU profile of the handler process (where its time goes).
  const profile = process.env.BENCH_PROFILE;
  // BENCH_HANDLER_ARGS: extra Node options for the handler process (e.g. GC settings), space separated.
  const extra = (process.env.BENCH_HANDLER_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = new Child(
    resolve(here, 'handler-child.ts'),
    profile === undefined ? extra : [...extra, '--cpu-prof', `--cpu-prof-dir=${profile}`],
  );
  const ready = (await child.ready) as { url: string; hash: string };
  const pubProc = new Child(resolve(here, 'bots-child.ts'));
  const subProc = new Child(resolve(here, 'bots-child.ts'));
  await Promise.all([pubProc.ready, subProc.ready]);
  const subTokens: string[] = [];
  for (let s = 0; s < M; s++) {
    subTokens.push(
      (await child.ask<{ token: string }>({ type: 'register', participantId: `sub${s}` })).token,
    );
  }
  await subProc.ask({ type: 'connect', url: ready.url, hash: ready.hash, tokens: subTokens, streams: [] });
  const pubTokens: string[] = [];
  const streams: string[] = [];
  for (let p = 0; p < N; p++) {
    const reg = await child.ask<{ token: string; video: string; audio: string }>({
      type: 'register',
      participantId: `pub${p}`,
    });
    await child.ask({
      type: 'route',
      source: DATAGRAMS ? reg.audio : reg.video,
      to: subTokens.map((_, s) => `sub${s}`),
      version: p + 1,
    });
    pubTokens.push(reg.token);
    streams.push(DATAGRAMS ? reg.audio : reg.video);
  }
  await pubProc.ask({ type: 'connect', url: ready.url, hash: ready.hash, tokens: pubTokens, streams });
  await pubProc.ask({ type: 'publish', ratePerPublisher: rateIn / N, ms: WARMUP_MS, payload: PAYLOAD });
  await sleep(200);
  await subProc.ask({ type: 'measure', on: true });
  const before = await child.ask<CpuMem>({ type: 'stats' });
  const t0 = performance.now();
  const { sent } = await pubProc.ask<{ sent: number }>({
    type: 'publish',
    ratePerPublisher: rateIn / N,
    ms: DURATION_MS,
    payload: PAYLOAD,
  });
  const after = await child.ask<CpuMem>({ type: 'stats' });
  const seconds = (performance.now() - t0) / 1000;
  await sleep(300); // frames in flight still count as forwarded
  const { received, delays } = await subProc.ask<{ received: number; delays: number[] }>({
    type: 'measure',
    on: false,
  });
  type HandlerStats = CpuMem & {
    totals: { framesDropped: number; framesForwarded: number };
    packets: { sent: number; received: number };
  };
  const final = await child.ask<HandlerStats>({ type: 'stats' });
  const first = before as HandlerStats;
  const last = after as HandlerStats;
  const handedInWindow = last.totals.framesForwarded - first.totals.framesForwarded;
  const cpuS = (last.cpu.user + last.cpu.system - first.cpu.user - first.cpu.system) / 1e6;
  const result = {
    ...summarize(delays, received, sent, seconds, before, after),
    // Where the missing frames went: dropped by the handler's bounded queues, or handed to QUIC and late/lost there.
    handlerQueueDrops: final.totals.framesDropped - first.totals.framesDropped,
    handlerHandedToTransport: final.totals.framesForwarded - first.totals.framesForwarded,
    // Frames the handler wrote to subscriber streams in the window per CPU-second of the handler: its own cost per
    // frame, whether or not the subscriber processes kept up (close to the figure above when nothing is lost).
    handedToTransportPerHandlerCpuSecond: Math.round(handedInWindow / Math.max(cpuS, 1e-9)),
    // Share of the handler's CPU time spent in the kernel (UDP sendmsg/recvmsg, epoll: one syscall per packet).
    handlerKernelCpuShare: round(
      (last.cpu.system - first.cpu.system) /
        Math.max(1, last.cpu.user + last.cpu.system - first.cpu.user - first.cpu.system),
      2,
    ),
    // UDP packets the handler sent and received per frame handed to the transport (QUIC packing and ACKs).
    udpPacketsSentPerFrame: round((last.packets.sent - first.packets.sent) / Math.max(1, handedInWindow), 2),
    udpPacketsReceivedPerFrame: round(
      (last.packets.received - first.packets.received) / Math.max(1, handedInWindow),
      2,
    ),
  };
  await Promise.all([pubProc.exit(), subProc.exit()]);
  await child.exit();
  return result;
}

async function runUdp(rateIn: number): Promise<RunResult> {
  const child = new Child(resolve(here, 'udp-relay-child.ts'));
  const { port } = (await child.ready) as { port: number };
  let measuring = false;
  let received = 0;
  const delays: number[] = [];
  const subs: dgram.Socket[] = [];
  for (let s = 0; s < M; s++) {
    const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
    await new Promise<void>((r) =>
      sock.bind(0, '127.0.0.1', () => {
        r();
      }),
    );
    const ok = new Promise<void>((r) =>
      sock.once('message', () => {
        r();
      }),
    );
    sock.send('SUB', port, '127.0.0.1');
    await ok;
    sock.on('message', (msg) => {
      if (!measuring || msg.length < 26) return;
      received++;
      delays.push(wallClockUs() - Number(msg.readBigUInt64BE(18)));
    });
    subs.push(sock);
  }
  const pubs: dgram.Socket[] = [];
  for (let p = 0; p < N; p++) {
    const sock = dgram.createSocket({ type: 'udp4', sendBufferSize: 8 << 20 });
    await new Promise<void>((r) =>
      sock.bind(0, '127.0.0.1', () => {
        r();
      }),
    );
    pubs.push(sock);
  }
  const frame = Buffer.alloc(PAYLOAD + 46);
  randomBytes(PAYLOAD).copy(frame, 46);
  const send = (sock: dgram.Socket) => () => {
    frame.writeBigUInt64BE(BigInt(wallClockUs()), 18);
    sock.send(frame, port, '127.0.0.1');
  };
  await Promise.all(pubs.map((s) => paced(rateIn / N, performance.now() + WARMUP_MS, send(s))));
  await sleep(200);
  measuring = true;
  const before = await child.ask<CpuMem>({ type: 'stats' });
  const t0 = performance.now();
  const sent = await Promise.all(pubs.map((s) => paced(rateIn / N, t0 + DURATION_MS, send(s))));
  const after = await child.ask<CpuMem>({ type: 'stats' });
  const seconds = (performance.now() - t0) / 1000;
  await sleep(300);
  measuring = false;
  const result = summarize(
    delays,
    received,
    sent.reduce((a, b) => a + b, 0),
    seconds,
    before,
    after,
  );
  for (const s of [...subs, ...pubs]) s.close();
  await child.exit();
  return result;
}

const loadsIn = (process.env.BENCH_RATES ?? '4000,2000,1000').split(',').map(Number);
const results: Record<string, unknown> = {
  name: 'media',
  date: new Date().toISOString(),
  machine: {
    cpus: (await import('node:os')).cpus().length,
    node: process.version,
    note: '2 cores shared with other agents: numbers are noisy',
  },
  setup: {
    publishers: N,
    subscribersPerStream: M,
    payloadBytes: PAYLOAD,
    durationMs: DURATION_MS,
    transport: DATAGRAMS ? 'datagrams (audio frames)' : 'streams (video frames)',
    datagramPath:
      process.env.BENCH_UNBATCHED === '1' ? 'W3C writer/reader' : 'batched where the session has it',
  },
};

/** BENCH_QUIC_ONLY=1: only the handler over QUIC (no core part, no UDP baseline), for quick before/after pairs. */
const QUIC_ONLY = process.env.BENCH_QUIC_ONLY === '1';
if (!QUIC_ONLY) {
  console.log(`core: 1000 streams x 1 subscriber, and ${N} streams x ${M} subscribers, in process`);
  results.core = {
    thousandStreams: await runCoreBench(1000, 1, PAYLOAD, 1500),
    fanout: await runCoreBench(N, M, PAYLOAD, 1500),
  };
  console.log(JSON.stringify(results.core, null, 2));
}

const runs: Record<string, unknown>[] = [];
for (const rate of loadsIn) {
  console.log(`offered ${rate} frames/s in (${rate * M} forwarded/s) ...`);
  // The machine's load average (1, 5, 15 min) around each run: the bots share 2 cores with other work.
  const loadBefore = loadavg().map((x) => round(x, 1));
  const quic = await runQuic(rate);
  if (QUIC_ONLY) {
    runs.push({
      offeredPacketsInPerSecond: rate,
      loadAverage: { before: loadBefore, after: loadavg().map((x) => round(x, 1)) },
      quic,
    });
    console.log(JSON.stringify(quic));
    continue;
  }
  const udp = await runUdp(rate);
  const row = {
    offeredPacketsInPerSecond: rate,
    loadAverage: { before: loadBefore, after: loadavg().map((x) => round(x, 1)) },
    quic,
    udpBaseline: udp,
    throughputRatioVsUdp: round(
      quic.forwardedPacketsPerSecond / Math.max(1, udp.forwardedPacketsPerSecond),
      3,
    ),
    cpuRatioVsUdp: round(
      quic.handlerCpuSecondsPerForwardedMbit / Math.max(1e-9, udp.handlerCpuSecondsPerForwardedMbit),
      2,
    ),
  };
  console.log(JSON.stringify(row, null, 2));
  runs.push(row);
}
results.quicVsUdp = runs;
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify(results, null, 2) + '\n');
console.log(`wrote ${OUT}`);
