// The soak: many bots in many meetings on the cluster for a bounded time, memory of every process sampled;
// reports growth after warm-up (target < 10 %), errors (target zero) and the media delivery ratio.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetSummary } from '../bot/bot-fleet.ts';
import { ProcessFleet } from '../bot/fleet-processes.ts';
import { Cluster } from './cluster.ts';
import { createMeeting, signUpHost } from './cluster-client.ts';
import { residentBytes } from './memory.ts';

export interface SoakOptions {
  readonly bots: number;
  readonly meetings: number;
  readonly durationS: number;
  /** Per bot: video frames (1.2 kB) and audio frames per second (default 15 and 50). */
  readonly videoFps?: number;
  readonly audioFps?: number;
  /** Child processes the bots run in (default one per 100 bots, at most 4); never the cluster's own process. */
  readonly botProcesses?: number;
  /** Share of the run before the memory baseline is taken (default 0.2). */
  readonly warmUp?: number;
  readonly sampleEveryS?: number;
  readonly dir?: string;
  readonly log?: (line: string) => void;
  /** Aborting it (Ctrl-C) stops the run: the bots leave, the cluster stops, the promise rejects. */
  readonly signal?: AbortSignal;
}

/** Rejects when `signal` aborts (never, without one). */
function aborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void => {
      reject(new Error('the soak was stopped'));
    };
    if (signal?.aborted === true) fail();
    else signal?.addEventListener('abort', fail, { once: true });
  });
}

export interface SoakReport {
  readonly bots: number;
  readonly meetings: number;
  readonly durationS: number;
  readonly videoFps: number;
  readonly audioFps: number;
  /** Seconds from the first join to the last. */
  readonly joinS: number;
  /**
   * Per process: RSS (MiB), the median of the samples just after warm-up (the next 20 % of the run) and of the last
   * 20 % of the run, and the growth between them in %.
   */
  readonly memory: Record<
    string,
    { baselineMiB: number; endMiB: number; growthPct: number; samples: number }
  >;
  readonly maxGrowthPct: number;
  /**
   * The load generator, not part of the platform and outside maxGrowthPct: the bots' processes (RSS summed) and
   * this harness process (the cluster's front and relays), as in `memory`.
   */
  readonly loadGenerator: SoakReport['memory'];
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
  const stopped = aborted(o.signal);
  stopped.catch(() => undefined);
  await using cluster = await Cluster.start({ dir, logLevel: 'warn', onProgress: log });
  const host = await signUpHost(cluster);
  const codes: string[] = [];
  for (let i = 0; i < o.meetings; i++)
    codes.push((await createMeeting(cluster, host, `soak-${String(i)}`)).code);
  const videoFps = o.videoFps ?? 15;
  const audioFps = o.audioFps ?? 50;
  const botProcesses = o.botProcesses ?? Math.min(4, Math.ceil(o.bots / 100));
  await using fleet = await ProcessFleet.start({
    baseUrl: cluster.url,
    certificateHashes: [cluster.certificateHash],
    processes: botProcesses,
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
    `joining ${String(o.bots)} bots into ${String(o.meetings)} meetings (video ${String(videoFps)} fps, audio ${String(audioFps)} fps each; bots in ${String(botProcesses)} process(es) of their own)`,
  );
  const joinStarted = Date.now();
  const joinProgress = setInterval(() => {
    void fleet.progress().then((pr) => {
      log(
        `  joined ${String(pr.joined)}/${String(pr.bots)} (failed ${String(pr.failed)}) sent ${String(pr.framesSent)} received ${String(pr.framesReceived)}`,
      );
    });
  }, 5_000);
  try {
    await Promise.race([fleet.join(), stopped]);
  } finally {
    clearInterval(joinProgress);
  }
  const joinS = Math.round((Date.now() - joinStarted) / 100) / 10;
  // Delivery is counted from here: every receiver exists.
  const atJoin = await fleet.counts();
  log(`all joined in ${String(joinS)} s; running for ${String(o.durationS)} s`);
  const processes = () => [
    ...cluster.services.map((s) => ({ name: s.name, pid: s.process.pid })),
    { name: 'redis', pid: cluster.redis.pid },
  ];
  const samples = new Map<string, { atS: number; bytes: number }[]>();
  const harness = new Map<string, { atS: number; bytes: number }[]>([
    ['bots', []],
    ['harness', []],
  ]);
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
    let bots = 0;
    for (const pid of fleet.pids) bots += (await residentBytes(pid)) ?? 0;
    harness.get('bots')?.push({ atS, bytes: bots });
    harness.get('harness')?.push({ atS, bytes: process.memoryUsage().rss });
    const pr = await fleet.progress();
    log(
      `[${atS.toFixed(0).padStart(4)} s] joined ${String(pr.joined)}/${String(pr.bots)} sent ${String(pr.framesSent)} received ${String(pr.framesReceived)}`,
    );
    await Promise.race([
      stopped,
      new Promise((r) =>
        setTimeout(r, Math.min(every, Math.max(0, o.durationS * 1000 - (Date.now() - started)))),
      ),
    ]);
  }
  const summary = await fleet.summary();
  const atEnd = await fleet.counts();
  const warmUpS = o.durationS * (o.warmUp ?? 0.2);
  const mib = (b: number): number => Math.round((b / 1048576) * 10) / 10;
  // Growth compares medians of two windows, not two samples: a Node process's RSS moves by a hundred MiB either way
  // as V8 sizes its heap and the allocator keeps or returns pages (heap snapshots of a handler and a controller in a
  // 100-bot soak showed their live JS heap shrinking while single RSS samples said +37 %). Baseline: the samples in
  // the window after warm-up (warm-up to warm-up + 20 % of the run); end: the samples of the last 20 %.
  const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  };
  const windowS = o.durationS * 0.2;
  const growth = (all: Map<string, { atS: number; bytes: number }[]>): SoakReport['memory'] => {
    const out: SoakReport['memory'] = {};
    for (const [name, list] of all) {
      let first = list.filter((s) => s.atS >= warmUpS && s.atS < warmUpS + windowS).map((s) => s.bytes);
      let last = list.filter((s) => s.atS >= o.durationS - windowS).map((s) => s.bytes);
      if (first.length === 0) first = list.slice(0, 1).map((s) => s.bytes);
      if (last.length === 0) last = list.slice(-1).map((s) => s.bytes);
      const baseline = median(first);
      const end = median(last);
      if (baseline === 0) continue;
      const growthPct = ((end - baseline) / baseline) * 100;
      out[name] = {
        baselineMiB: mib(baseline),
        endMiB: mib(end),
        growthPct: Math.round(growthPct * 10) / 10,
        samples: list.length,
      };
    }
    return out;
  };
  const memory = growth(samples);
  const maxGrowthPct = Math.max(0, ...Object.values(memory).map((m) => m.growthPct));
  const loadGenerator = growth(harness);
  // Each frame a bot sends should reach every other bot of its meeting.
  const perMeeting = new Map<string, number>();
  for (let i = 0; i < o.bots; i++) {
    const code = codes[i % codes.length] ?? '';
    perMeeting.set(code, (perMeeting.get(code) ?? 0) + 1);
  }
  let deliveries = 0;
  let received = 0;
  atEnd.forEach((b, i) => {
    const sent = b.sent - (atJoin[i]?.sent ?? 0);
    deliveries += sent * ((perMeeting.get(codes[i % codes.length] ?? '') ?? 1) - 1);
    received += b.received - (atJoin[i]?.received ?? 0);
  });
  return {
    bots: o.bots,
    meetings: o.meetings,
    durationS: o.durationS,
    videoFps,
    audioFps,
    joinS,
    memory,
    maxGrowthPct,
    loadGenerator,
    errors: summary.errors,
    frontFailures: cluster.proxy.stats.failed,
    deliveryRatio: deliveries === 0 ? 0 : Math.round((received / deliveries) * 10_000) / 10_000,
    fleet: summary,
  };
}
