// Transport benchmark: datagrams/s (1,200 B) one way (open loop) and echoed (closed loop, 32 in flight), stream upload MB/s, and server CPU per MB,
// for 1 and 50 concurrent sessions, with a plain node:dgram relay measured in the same run as the baseline.
// Writes /work/main/bench/results/transport.json (or BENCH_OUT). Runs in well under two minutes.
import { fork, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Session } from '../session.ts';
import { connectWebTransport } from '../webtransport/client.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 3) * 1000;
const DATAGRAM = 1200;
/** Datagrams in flight per session (or per UDP socket) in the echo measurements. */
const WINDOW = 32;
const out = process.env.BENCH_OUT ?? path.resolve(here, '../../../../bench/results/transport.json');

interface ServerStats {
  cpu: NodeJS.CpuUsage;
  datagrams: number;
  streamBytes: number;
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

async function measure(child: ChildProcess, run: (until: number) => Promise<number>) {
  const before = await ask(child);
  const t0 = performance.now();
  const clientCount = await run(t0 + DURATION_MS);
  const seconds = (performance.now() - t0) / 1000;
  const after = await ask(child);
  return {
    seconds,
    clientCount,
    serverDatagrams: after.datagrams - before.datagrams,
    serverStreamBytes: after.streamBytes - before.streamBytes,
    serverCpuMs: cpuMs(before.cpu, after.cpu),
  };
}

async function sendDatagrams(session: Session, until: number): Promise<number> {
  const writer = session.datagrams.writable.getWriter();
  const payload = new Uint8Array(DATAGRAM);
  let sent = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 32; i++) {
      await writer.write(payload);
      sent++;
    }
    await tick();
  }
  writer.releaseLock();
  return sent;
}

/**
 * Closed-loop echo: keeps WINDOW datagrams in flight per peer and sends one more for each echo, so the figure
 * is what the path sustains, not how much an overloaded sender loses. Datagrams not echoed within 50 ms are
 * written off as lost so the window never stalls.
 */
async function closedLoopEcho(
  send: () => void,
  echoed: () => number,
  until: number,
): Promise<{ sent: number; echoed: number }> {
  let sent = 0;
  let written = 0;
  let lastProgress = performance.now();
  let lastEchoed = 0;
  while (performance.now() < until) {
    const now = performance.now();
    const got = echoed();
    if (got !== lastEchoed) {
      lastEchoed = got;
      lastProgress = now;
    } else if (now - lastProgress > 50) {
      written = sent - got;
      lastProgress = now;
    }
    while (sent - got - written < WINDOW) {
      send();
      sent++;
    }
    await tick();
  }
  return { sent, echoed: echoed() };
}

async function echoDatagrams(session: Session, until: number): Promise<{ sent: number; echoed: number }> {
  const writer = session.datagrams.writable.getWriter();
  const reader = session.datagrams.readable.getReader();
  const payload = new Uint8Array(DATAGRAM);
  let got = 0;
  const reading = (async () => {
    for (;;) {
      const { done } = await reader.read();
      if (done) return;
      got++;
    }
  })().catch(() => undefined);
  const result = await closedLoopEcho(
    () => {
      void writer.write(payload);
    },
    () => got,
    until,
  );
  writer.releaseLock();
  void reading;
  return result;
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

async function udpRelay(
  relayPort: number,
  clients: number,
  until: number,
): Promise<{ sent: number; echoed: number }> {
  const sockets = await Promise.all(
    Array.from({ length: clients }, async () => {
      const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      return socket;
    }),
  );
  const payload = Buffer.alloc(DATAGRAM);
  const results = await Promise.all(
    sockets.map((socket) => {
      let got = 0;
      socket.on('message', () => got++);
      return closedLoopEcho(
        () => {
          socket.send(payload, relayPort, '127.0.0.1');
        },
        () => got,
        until,
      );
    }),
  );
  for (const socket of sockets) socket.close();
  return results.reduce((a, r) => ({ sent: a.sent + r.sent, echoed: a.echoed + r.echoed }), {
    sent: 0,
    echoed: 0,
  });
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

const results: Record<string, unknown>[] = [];
for (const sessions of [1, 50]) {
  const sinks = await Promise.all(Array.from({ length: sessions }, () => connect('/sink')));
  const echoes = await Promise.all(Array.from({ length: sessions }, () => connect('/echo')));

  const oneWay = await measure(child, async (until) => {
    const sent = await Promise.all(sinks.map((s) => sendDatagrams(s, until)));
    return sent.reduce((a, b) => a + b, 0);
  });
  let wtEcho = { sent: 0, echoed: 0 };
  const echoed = await measure(child, async (until) => {
    const r = await Promise.all(echoes.map((s) => echoDatagrams(s, until)));
    wtEcho = r.reduce((a, x) => ({ sent: a.sent + x.sent, echoed: a.echoed + x.echoed }), {
      sent: 0,
      echoed: 0,
    });
    return wtEcho.sent;
  });
  const streams = await measure(child, async (until) => {
    const sent = await Promise.all(sinks.map((s) => upload(s, until)));
    return sent.reduce((a, b) => a + b, 0);
  });
  let relayed = { sent: 0, echoed: 0 };
  const udp = await measure(child, async (until) => {
    relayed = await udpRelay(ready.relayPort, sessions, until);
    return relayed.sent;
  });
  for (const s of [...sinks, ...echoes]) s.close();

  const mb = (bytes: number): number => bytes / 1e6;
  const wtEchoPerSec = wtEcho.echoed / echoed.seconds;
  const udpEchoPerSec = relayed.echoed / udp.seconds;
  const row = {
    sessions,
    datagramBytes: DATAGRAM,
    datagramsOneWay: {
      offeredPerSec: Math.round(oneWay.clientCount / oneWay.seconds),
      receivedPerSec: Math.round(oneWay.serverDatagrams / oneWay.seconds),
      serverCpuMsPerMB: +(oneWay.serverCpuMs / mb(oneWay.serverDatagrams * DATAGRAM)).toFixed(1),
    },
    datagramsEchoed: {
      sentPerSec: Math.round(echoed.clientCount / echoed.seconds),
      echoedPerSec: Math.round(wtEchoPerSec),
      serverCpuMsPerMB: +(echoed.serverCpuMs / mb(wtEcho.echoed * DATAGRAM * 2)).toFixed(1),
    },
    streamUpload: {
      MBps: +(mb(streams.serverStreamBytes) / streams.seconds).toFixed(1),
      serverCpuMsPerMB: +(streams.serverCpuMs / mb(streams.serverStreamBytes)).toFixed(1),
    },
    udpRelayBaseline: {
      sentPerSec: Math.round(relayed.sent / udp.seconds),
      echoedPerSec: Math.round(udpEchoPerSec),
      serverCpuMsPerMB: +(udp.serverCpuMs / mb(udp.serverDatagrams * DATAGRAM * 2)).toFixed(1),
    },
    ratioEchoedDatagramsVsUdpRelay: +(wtEchoPerSec / udpEchoPerSec).toFixed(3),
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
      loadAverageAtEnd: loadavg(),
      durationPerMeasurementMs: DURATION_MS,
      results,
    },
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${out}`);
process.exit(0);
