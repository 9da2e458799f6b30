// The soak: many bots in many meetings on the cluster for a bounded time, memory of every process sampled;
// reports growth after warm-up (target < 10 %), errors (target zero) and the media delivery ratio.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetSummary } from '../bot/bot-fleet.ts';
import { Cluster } from './cluster.ts';
import { createMeeting, fleetOn, signUpHost } from './cluster-client.ts';
import { residentBytes } from './memory.ts';

export interface SoakOptions {
  readonly bots: number;
  readonly meetings: number;
  readonly durationS: number;
  /** Per bot: video frames (1.2 kB) and audio frames per second (default 15 and 50). */
  readonly videoFps?: number;
  readonly audioFps?: number;
  /** Share of the run before the memory baseline is taken (default 0.2). */
  readonly warmUp?: number;
  readonly sampleEveryS?: number;
  readonly dir?: string;
  readonly log?: (line: string) => void;
}

export interface SoakReport {
  readonly bots: number;
  readonly meetings: number;
  readonly durationS: number;
  readonly videoFps: number;
  readonly audioFps: number;
  /** Seconds from the first join to the last. */
  readonly joinS: number;
  /** Per process: RSS (MiB) at the end of warm-up and at the end, and growth in %. */
  readonly memory: Record<
    string,
    { baselineMiB: number; endMiB: number; growthPct: number; samples: number }
  >;
  readonly maxGrowthPct: number;
  /**
   * The bots' own process (the load generator, not part of the platform; outside maxGrowthPct): RSS and live JS heap
   * (MiB) at the end of warm-up and at the end.
   */
  readonly loadGenerator: {
    rssMiB: { baseline: number; end: number };
    heapUsedMiB: { baseline: number; end: number };
  };
  readonly errors: readonly string[];
  readonly frontFailures: number;
  /**
   * Frames received / frames sent times the receivers in the publisher's meeting, counted from the moment every bot
   * had joined to the end (so frames sent before a receiver existed do not count as lost).
   */
  readonly deliveryRatio: number;
  readonly fleet: FleetSummary;
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const log = o.log ?? (() => undefined);
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'dt-soak-'));
  await using cluster = await Cluster.start({ dir, logLevel: 'warn', onProgress: log });
  const host = await signUpHost(cluster);
  const codes: string[] = [];
  for (let i = 0; i < o.meetings; i++)
    codes.push((await createMeeting(cluster, host, `soak-${String(i)}`)).code);
  const videoFps = o.videoFps ?? 15;
  const audioFps = o.audioFps ?? 50;
  await using fleet = fleetOn(cluster, {
    meetings: codes,
    count: o.bots,
    publish: 'both',
    videoFps,
    audioFps,
    videoBytes: 1200,
    joinConcurrency: 1,
    namePrefix: 'soak',
  });
  log(
    `joining ${String(o.bots)} bots into ${String(o.meetings)} meetings (video ${String(videoFps)} fps, audio ${String(audioFps)} fps each)`,
  );
  const joinStarted = Date.now();
  const joinProgress = setInterval(() => {
    const pr = fleet.progress();
    log(
      `  joined ${String(pr.joined)}/${String(pr.bots)} (failed ${String(pr.failed)}) sent ${String(pr.framesSent)} received ${String(pr.framesReceived)}`,
    );
  }, 5_000);
  try {
    await fleet.join();
  } finally {
    clearInterval(joinProgress);
  }
  const joinS = Math.round((Date.now() - joinStarted) / 100) / 10;
  // Delivery is counted from here: every receiver exists.
  const sentAtJoin = fleet.bots.map((b) => b.framesSent);
  const receivedAtJoin = fleet.bots.reduce((a, b) => a + b.framesReceived, 0);
  log(`all joined in ${String(joinS)} s; running for ${String(o.durationS)} s`);
  const processes = () => [
    ...cluster.services.map((s) => ({ name: s.name, pid: s.process.pid })),
    { name: 'redis', pid: cluster.redis.pid },
  ];
  const samples = new Map<string, { atS: number; bytes: number }[]>();
  const own: { atS: number; rss: number; heapUsed: number }[] = [];
  const started = Date.now();
  const every = (o.sampleEveryS ?? 5) * 1000;
  while (Date.now() - started < o.durationS * 1000) {
    const atS = (Date.now() - started) / 1000;
    for (const p of processes()) {
      if (p.pid === undefined) continue;
      const bytes = await residentBytes(p.pid);
      if (bytes === undefined) continue;
      const list = samples.get(p.name) ?? [];
      list.push({ atS, bytes });
      samples.set(p.name, list);
    }
    const mem = process.memoryUsage();
    own.push({ atS, rss: mem.rss, heapUsed: mem.heapUsed });
    const pr = fleet.progress();
    log(
      `[${atS.toFixed(0).padStart(4)} s] joined ${String(pr.joined)}/${String(pr.bots)} sent ${String(pr.framesSent)} received ${String(pr.framesReceived)}`,
    );
    await new Promise((r) =>
      setTimeout(r, Math.min(every, Math.max(0, o.durationS * 1000 - (Date.now() - started)))),
    );
  }
  const summary = fleet.summary();
  const warmUpS = o.durationS * (o.warmUp ?? 0.2);
  const mib = (b: number): number => Math.round((b / 1048576) * 10) / 10;
  const memory: SoakReport['memory'] = {};
  let maxGrowthPct = 0;
  for (const [name, list] of samples) {
    const baseline = list.find((s) => s.atS >= warmUpS) ?? list[0];
    const tail = list.slice(-3);
    if (baseline === undefined || tail.length === 0) continue;
    const end = tail.reduce((a, s) => a + s.bytes, 0) / tail.length;
    const growthPct = ((end - baseline.bytes) / baseline.bytes) * 100;
    maxGrowthPct = Math.max(maxGrowthPct, growthPct);
    memory[name] = {
      baselineMiB: mib(baseline.bytes),
      endMiB: mib(end),
      growthPct: Math.round(growthPct * 10) / 10,
      samples: list.length,
    };
  }
  const ownBaseline = own.find((s) => s.atS >= warmUpS) ?? own[0];
  const ownEnd = own.at(-1);
  const loadGenerator = {
    rssMiB: { baseline: mib(ownBaseline?.rss ?? 0), end: mib(ownEnd?.rss ?? 0) },
    heapUsedMiB: { baseline: mib(ownBaseline?.heapUsed ?? 0), end: mib(ownEnd?.heapUsed ?? 0) },
  };
  // Each frame a bot sends should reach every other bot of its meeting.
  const perMeeting = new Map<string, number>();
  fleet.bots.forEach((_, i) => {
    const code = codes[i % codes.length] ?? '';
    perMeeting.set(code, (perMeeting.get(code) ?? 0) + 1);
  });
  let deliveries = 0;
  fleet.bots.forEach((b, i) => {
    const sent = b.framesSent - (sentAtJoin[i] ?? 0);
    deliveries += sent * ((perMeeting.get(codes[i % codes.length] ?? '') ?? 1) - 1);
  });
  const received = fleet.bots.reduce((a, b) => a + b.framesReceived, 0) - receivedAtJoin;
  return {
    bots: o.bots,
    meetings: o.meetings,
    durationS: o.durationS,
    videoFps,
    audioFps,
    joinS,
    memory,
    maxGrowthPct: Math.round(maxGrowthPct * 10) / 10,
    loadGenerator,
    errors: summary.errors,
    frontFailures: cluster.proxy.stats.failed,
    deliveryRatio: deliveries === 0 ? 0 : Math.round((received / deliveries) * 10_000) / 10_000,
    fleet: summary,
  };
}
