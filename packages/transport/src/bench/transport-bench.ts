// Transport benchmark, for 1 and 50 concurrent sessions (BENCH_SESSIONS): datagrams (1,200 B) one way (open loop)
// and echoed (closed loop, 32 in flight per session), each through the W3C streams and through the batched fast
// path (onDatagrams/sendDatagrams), stream upload, and a plain node:dgram relay measured in the same run as the
// baseline. The server runs in a child process so its CPU time is its own; besides rates, every phase reports
// how many datagrams one server core handles per second of its CPU time, which stays meaningful when the
// shared machine is loaded. Each phase: a warm-up, then BENCH_RUNS runs of BENCH_SECONDS; medians are reported.
// Writes /work/main/bench/results/transport.json (or BENCH_OUT).
import { fork, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Session } from '../session.ts';
import { connectWebTransport } from '../webtransport/client.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 2) * 1000;
const WARMUP_MS = Number(process.env.BENCH_WARMUP_SECONDS ?? 1) * 1000;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SESSION_COUNTS = (process.env.BENCH_SESSIONS ?? '1,50').split(',').map(Number);
/** Phases to run (all by default); e.g. BENCH_PHASES=echoBatched to profile one. */
const PHASES = new Set(
  (process.env.BENCH_PHASES ?? 'oneWay,oneWayBatched,echo,echoBatched,upload,udpRelay').split(','),
);
const DATAGRAM = 1200;
/** Datagrams in flight per session (or per UDP socket) in the echo measurements. */
const WINDOW = 32;
/** Datagrams a one-way sender offers per event-loop turn. */
const BURST = 32;
const loadAverageAtStart = loadavg();
const out = process.env.BENCH_OUT ?? path.resolve(here, '../../../../bench/results/transport.json');

interface ServerStats {
  cpu: NodeJS.CpuUsage;
  datagrams: number;
  streamBytes: number;
  /** QUIC packets over all of the server's connections. */
  packetsSent: number;
  packetsReceived: number;
}

interface Sample {
  seconds: number;
  clientCount: number;
  serverDatagrams: number;
  serverStreamBytes: number;
  serverCpuMs: number;
  serverPackets: number;
  echoed: number;
}

function ask(child: ChildProcess): Promise<ServerStats> {
  return new Promise((resolve) => {
    child.once('message', (m) => {
      resolve(m as ServerStats);
    });
    child.send({ cmd: 'stats' });
  });
}

const cpuMs = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage): number =>
  (b.user - a.user + b.system - a.system) / 1000;
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

/** Runs `run` for WARMUP_MS (discarded), then RUNS times for DURATION_MS, measuring the server around each. */
async function phase(
  name: string,
  child: ChildProcess,
  run: (until: number) => Promise<{ clientCount: number; echoed?: number }>,
): Promise<Sample[]> {
  if (!PHASES.has(name)) return [];
  // Let queues from the previous phase drain, so they are not counted here.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await run(performance.now() + WARMUP_MS);
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    await tick();
    const before = await ask(child);
    const t0 = performance.now();
    const r = await run(t0 + DURATION_MS);
    const seconds = (performance.now() - t0) / 1000;
    const after = await ask(child);
    samples.push({
      seconds,
      clientCount: r.clientCount,
      echoed: r.echoed ?? 0,
      serverDatagrams: after.datagrams - before.datagrams,
      serverStreamBytes: after.streamBytes - before.streamBytes,
      serverCpuMs: cpuMs(before.cpu, after.cpu),
      serverPackets: after.packetsSent + after.packetsReceived - before.packetsSent - before.packetsReceived,
    });
  }
  if (process.env.BENCH_DEBUG) console.error(name, JSON.stringify(samples));
  return samples;
}

async function sendOneWay(session: Session, until: number): Promise<number> {
  const writer = session.datagrams.writable.getWriter();
  const payload = new Uint8Array(DATAGRAM);
  let sent = 0;
  while (performance.now() < until) {
    for (let i = 0; i < BURST; i++) {
      void writer.write(payload).catch(() => undefined);
      sent++;
    }
    await tick();
  }
  writer.releaseLock();
  return sent;
}

async function sendOneWayBatched(session: Session, until: number): Promise<number> {
  const batch = Array.from({ length: BURST }, () => new Uint8Array(DATAGRAM));
  let sent = 0;
  while (performance.now() < until) {
    session.sendDatagrams?.(batch);
    sent += batch.length;
    await tick();
  }
  return sent;
}

/**
 * Closed-loop echo driven by the echoes themselves (no polling loop competing with the server for CPU): keeps
 * WINDOW datagrams in flight per peer and sends as many more as come back. When nothing came back for 250 ms
 * the window is written off as lost, so it never stalls (not sooner: an overloaded client must not pile up more).
 */
class ClosedLoop {
  sent = 0;
  echoed = 0;
  #written = 0;
  #lastProgress = performance.now();
  #running = false;
  readonly #send: (n: number) => void;

  constructor(send: (n: number) => void) {
    this.#send = send;
  }

  onEcho(n: number): void {
    if (!this.#running) return;
    this.echoed += n;
    this.#lastProgress = performance.now();
    this.#refill();
  }

  async run(until: number): Promise<{ sent: number; echoed: number }> {
    this.sent = 0;
    this.echoed = 0;
    this.#written = 0;
    this.#lastProgress = performance.now();
    this.#running = true;
    this.#refill();
    while (performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (performance.now() - this.#lastProgress > 250) {
        this.#written = this.sent - this.echoed;
        this.#lastProgress = performance.now();
        this.#refill();
      }
    }
    this.#running = false;
    return { sent: this.sent, echoed: this.echoed };
  }

  #refill(): void {
    const room = WINDOW - (this.sent - this.echoed - this.#written);
    if (room <= 0) return;
    this.sent += room;
    this.#send(room);
  }
}

/** Echo through the W3C streams: one writer.write per datagram, reader.read per echo. */
function streamEcho(session: Session): ClosedLoop {
  const writer = session.datagrams.writable.getWriter();
  const payload = new Uint8Array(DATAGRAM);
  const loop = new ClosedLoop((n) => {
    for (let i = 0; i < n; i++) void writer.write(payload).catch(() => undefined);
  });
  const reader = session.datagrams.readable.getReader();
  void (async () => {
    for (;;) {
      const { done } = await reader.read();
      if (done) return;
      loop.onEcho(1);
    }
  })().catch(() => undefined);
  return loop;
}

/** Echo through the fast path: sendDatagrams per refill, onDatagrams batches. */
function batchedEcho(session: Session): ClosedLoop {
  const payloads = Array.from({ length: WINDOW }, () => new Uint8Array(DATAGRAM));
  const loop = new ClosedLoop((n) => {
    session.sendDatagrams?.(payloads.slice(0, n));
  });
  session.onDatagrams?.((batch) => {
    loop.onEcho(batch.length);
  });
  return loop;
}

/** Echo through the plain UDP relay: one socket per peer. */
async function udpEcho(relayPort: number): Promise<{ socket: dgram.Socket; loop: ClosedLoop }> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const payload = Buffer.alloc(DATAGRAM);
  const loop = new ClosedLoop((n) => {
    for (let i = 0; i < n; i++) socket.send(payload, relayPort, '127.0.0.1');
  });
  socket.on('message', () => {
    loop.onEcho(1);
  });
  return { socket, loop };
}

async function upload(session: Session, until: number): Promise<number> {
  const writable = await session.createUnidirectionalStream();
  const writer = writable.getWriter();
  const chunk = new Uint8Array(64 * 1024);
  let sent = 0;
  while (performance.now() < until) {
    await writer.write(chunk);
    sent += chunk.length;
  }
  await writer.close().catch(() => undefined);
  return sent;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const sumEcho = (rs: { sent: number; echoed: number }[]): { clientCount: number; echoed: number } => ({
  clientCount: sum(rs.map((r) => r.sent)),
  echoed: sum(rs.map((r) => r.echoed)),
});

/** Medians of one phase's samples: rates per second of wall time and per second of server CPU. */
function oneWayFigures(samples: Sample[]) {
  return {
    offeredPerSec: Math.round(median(samples.map((s) => s.clientCount / s.seconds))),
    receivedPerSec: Math.round(median(samples.map((s) => s.serverDatagrams / s.seconds))),
    serverCpuUsPerDatagram: +median(samples.map((s) => (1000 * s.serverCpuMs) / s.serverDatagrams)).toFixed(
      2,
    ),
    perServerCoreSecond: Math.round(median(samples.map((s) => s.serverDatagrams / (s.serverCpuMs / 1000)))),
    /** QUIC packets the server sent and received per datagram (1 plus ACKs). */
    serverPacketsPerDatagram: +median(samples.map((s) => s.serverPackets / s.serverDatagrams)).toFixed(2),
  };
}

function echoFigures(samples: Sample[]) {
  return {
    sentPerSec: Math.round(median(samples.map((s) => s.clientCount / s.seconds))),
    echoedPerSec: Math.round(median(samples.map((s) => s.echoed / s.seconds))),
    /** Server CPU per echoed datagram (one in, one out). */
    serverCpuUsPerEcho: +median(samples.map((s) => (1000 * s.serverCpuMs) / s.echoed)).toFixed(2),
    echoesPerServerCoreSecond: Math.round(median(samples.map((s) => s.echoed / (s.serverCpuMs / 1000)))),
    /** QUIC packets in and out per echo (2 plus ACK-only packets; 0 for the UDP relay, which has none). */
    serverPacketsPerEcho: +median(samples.map((s) => s.serverPackets / s.echoed)).toFixed(2),
  };
}

const child = fork(path.join(here, 'bench-server.ts'), [], {
  execArgv: ['--conditions=source', '--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const ready = await new Promise<{ port: number; relayPort: number; hash: number[] }>((resolve) => {
  child.once('message', (m) => {
    resolve(m as { port: number; relayPort: number; hash: number[] });
  });
});
const hash = Uint8Array.from(ready.hash);
const connect = (p: string): Promise<Session> =>
  connectWebTransport(`https://127.0.0.1:${String(ready.port)}${p}`, { serverCertificateHashes: [hash] });
const connectMany = (n: number, p: string): Promise<Session[]> =>
  Promise.all(Array.from({ length: n }, () => connect(p)));

const results: Record<string, unknown>[] = [];
for (const sessions of SESSION_COUNTS) {
  const sinks = await connectMany(sessions, '/sink');
  const batchedSinks = await connectMany(sessions, '/sink-batched');
  const echoes = await connectMany(sessions, '/echo');
  const batchedEchoes = await connectMany(sessions, '/echo-batched');

  const oneWay = await phase('oneWay', child, async (until) => ({
    clientCount: sum(await Promise.all(sinks.map((s) => sendOneWay(s, until)))),
  }));
  const oneWayBatched = await phase('oneWayBatched', child, async (until) => ({
    clientCount: sum(await Promise.all(batchedSinks.map((s) => sendOneWayBatched(s, until)))),
  }));
  const streamEchoes = echoes.map(streamEcho);
  const echoed = await phase('echo', child, async (until) =>
    sumEcho(await Promise.all(streamEchoes.map((loop) => loop.run(until)))),
  );
  const batchedRuns = batchedEchoes.map(batchedEcho);
  const echoedBatched = await phase('echoBatched', child, async (until) =>
    sumEcho(await Promise.all(batchedRuns.map((loop) => loop.run(until)))),
  );
  const streams = await phase('upload', child, async (until) => ({
    clientCount: sum(await Promise.all(sinks.map((s) => upload(s, until)))),
  }));
  const udp = await Promise.all(Array.from({ length: sessions }, () => udpEcho(ready.relayPort)));
  const relay = await phase('udpRelay', child, async (until) =>
    sumEcho(await Promise.all(udp.map(({ loop }) => loop.run(until)))),
  );
  for (const { socket } of udp) socket.close();
  const stats = sinks[0]?.stats();
  for (const s of [...sinks, ...batchedSinks, ...echoes, ...batchedEchoes]) s.close();

  const relayFigures = echoFigures(relay);
  const row = {
    sessions,
    datagramBytes: DATAGRAM,
    datagramsOneWay: oneWayFigures(oneWay),
    datagramsOneWayBatched: oneWayFigures(oneWayBatched),
    datagramsEchoed: echoFigures(echoed),
    datagramsEchoedBatched: echoFigures(echoedBatched),
    streamUpload: {
      MBps: +median(streams.map((s) => s.serverStreamBytes / 1e6 / s.seconds)).toFixed(1),
      serverCpuMsPerMB: +median(streams.map((s) => s.serverCpuMs / (s.serverStreamBytes / 1e6))).toFixed(1),
    },
    udpRelayBaseline: relayFigures,
    ratioEchoedVsUdpRelay: +(echoFigures(echoedBatched).echoedPerSec / relayFigures.echoedPerSec).toFixed(3),
    ratioEchoesPerServerCoreSecondVsUdpRelay: +(
      echoFigures(echoedBatched).echoesPerServerCoreSecond / relayFigures.echoesPerServerCoreSecond
    ).toFixed(3),
    firstSinkClientStats: stats,
  };
  console.log(JSON.stringify(row));
  results.push(row);
  await new Promise((resolve) => setTimeout(resolve, 300));
}

child.send({ cmd: 'stop' });
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    {
      name: 'transport',
      date: new Date().toISOString(),
      node: process.version,
      machine: 'loopback, server in a child process; noisy shared 2-core host',
      loadAverageAtStart,
      loadAverageAtEnd: loadavg(),
      warmupMs: WARMUP_MS,
      durationPerRunMs: DURATION_MS,
      runsPerPhase: RUNS,
      statistic: 'median of runs',
      results,
    },
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${out}`);
process.exit(0);
