// A bot fleet split over child processes (fleet-child.ts), for the soak: bot i runs in process i % processes and
// joins meetings[i % meetings.length], as in one BotFleet. The cluster's own process (its HTTP front, its
// PostgreSQL relay) then never shares an event loop with the bots: in the full soak a saturated fleet in that process
// starved the relay, PostgreSQL connections timed out, and the Global Controllers dropped both Meeting Controllers.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defaultLayout, type FleetOptions, type FleetProgress, type FleetSummary } from './bot-fleet.ts';
import {
  isChildMessage,
  type ChildMessage,
  type ParentMessage,
  type ShardInit,
  type ShardReport,
} from './fleet-protocol.ts';
import { LatencySamples, percentilesOf } from './stats.ts';

const CHILD = fileURLToPath(new URL('./fleet-child.ts', import.meta.url));
/** How long a child may take to answer a question (it may be saturated; it is still alive). */
const ANSWER_MS = 120_000;

export interface ProcessFleetOptions extends Omit<FleetOptions, 'connector' | 'tracer' | 'botNumbers'> {
  readonly processes: number;
  readonly certificateHashes: readonly Uint8Array[];
}

export interface BotCounts {
  readonly sent: number;
  readonly received: number;
}

interface Child {
  readonly process: ChildProcess;
  /** Global bot indices this child runs, in its own order. */
  readonly indices: readonly number[];
  readonly waiting: Map<number, (message: ChildMessage) => void>;
  exited: string | undefined;
}

export class ProcessFleet implements AsyncDisposable {
  readonly count: number;
  readonly #o: ProcessFleetOptions;
  readonly #children: Child[];
  readonly #errors: string[] = [];
  #nextId = 1;
  #closing: Promise<void> | undefined;

  private constructor(options: ProcessFleetOptions, children: Child[]) {
    this.#o = options;
    this.count = options.count;
    this.#children = children;
  }

  static async start(options: ProcessFleetOptions): Promise<ProcessFleet> {
    if (options.meetings.length === 0) throw new Error('at least one meeting is needed');
    if (!Number.isInteger(options.count) || options.count < 1)
      throw new Error('count must be a positive integer');
    const n = Math.max(1, Math.min(options.processes, options.count));
    const children: Child[] = [];
    for (let p = 0; p < n; p++) {
      const indices: number[] = [];
      for (let i = p; i < options.count; i += n) indices.push(i);
      const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CHILD], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push({ process: proc, indices, waiting: new Map(), exited: undefined });
    }
    const fleet = new ProcessFleet(options, children);
    try {
      await Promise.all(children.map((c, p) => fleet.#watch(c, p)));
    } catch (error) {
      await fleet.close();
      throw error;
    }
    return fleet;
  }

  /** Resolves once the child said it is ready; afterwards routes its answers and notes its exit. */
  #watch(child: Child, p: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      child.process.on('message', (message: unknown) => {
        if (!isChildMessage(message)) return;
        if (message.type === 'ready') {
          resolve();
          return;
        }
        const key = 'id' in message ? message.id : 0;
        const answer = child.waiting.get(key);
        if (answer === undefined) return;
        child.waiting.delete(key);
        answer(message);
      });
      child.process.once('exit', (code, signal) => {
        child.exited = `bots process ${String(p + 1)} exited (${signal ?? `code ${String(code)}`})`;
        if (this.#closing === undefined) this.#errors.push(child.exited);
        reject(new Error(child.exited));
        for (const answer of child.waiting.values()) answer({ type: 'closed' });
        child.waiting.clear();
      });
    });
  }

  #send(child: Child, message: ParentMessage): void {
    if (child.exited === undefined && child.process.connected) child.process.send(message);
  }

  /** Asks one child; undefined when it has exited or does not answer in time. */
  #ask<T extends ChildMessage['type']>(
    child: Child,
    type: 'progress' | 'counts' | 'report' | 'joined',
    expect: T,
  ): Promise<Extract<ChildMessage, { type: T }> | undefined> {
    if (child.exited !== undefined) return Promise.resolve(undefined);
    const id = type === 'joined' ? 0 : this.#nextId++;
    return new Promise((resolve) => {
      const timer =
        type === 'joined'
          ? undefined
          : setTimeout(() => {
              child.waiting.delete(id);
              resolve(undefined);
            }, ANSWER_MS);
      child.waiting.set(id, (message) => {
        if (timer !== undefined) clearTimeout(timer);
        resolve(message.type === expect ? (message as Extract<ChildMessage, { type: T }>) : undefined);
      });
      if (type !== 'joined') this.#send(child, { type, id });
    });
  }

  /** The bots' process ids (for memory sampling). */
  get pids(): number[] {
    return this.#children.flatMap((c) => (c.process.pid === undefined ? [] : [c.process.pid]));
  }

  /** Every bot joins (each process joins its part with the options' concurrency); failures are counted. */
  async join(): Promise<void> {
    const o = this.#o;
    const perMeeting = Math.ceil(o.count / o.meetings.length);
    const { processes: _p, certificateHashes, ...fleet } = o;
    await Promise.all(
      this.#children.map((child) => {
        const joined = this.#ask(child, 'joined', 'joined');
        const init: ShardInit = {
          ...fleet,
          meetings: child.indices.map((i) => o.meetings[i % o.meetings.length] ?? ''),
          count: child.indices.length,
          botNumbers: child.indices.map((i) => i + 1),
          layout: o.layout ?? defaultLayout(perMeeting),
          certificateHashes: certificateHashes.map((h) => Buffer.from(h).toString('base64')),
        };
        this.#send(child, { type: 'start', init });
        return joined;
      }),
    );
  }

  async progress(): Promise<FleetProgress> {
    const parts = await Promise.all(this.#children.map((c) => this.#ask(c, 'progress', 'progress')));
    const sum = (f: (p: FleetProgress) => number): number =>
      parts.reduce((a, m) => a + (m === undefined ? 0 : f(m.progress)), 0);
    return {
      elapsedS: Math.max(0, ...parts.map((m) => m?.progress.elapsedS ?? 0)),
      bots: this.count,
      joined: sum((p) => p.joined),
      reconnecting: sum((p) => p.reconnecting),
      failed: sum((p) => p.failed),
      framesSent: sum((p) => p.framesSent),
      framesReceived: sum((p) => p.framesReceived),
    };
  }

  /** Frames sent and received per bot, by global bot index (zeros for a process that has gone). */
  async counts(): Promise<BotCounts[]> {
    const out: BotCounts[] = Array.from({ length: this.count }, () => ({ sent: 0, received: 0 }));
    const parts = await Promise.all(this.#children.map((c) => this.#ask(c, 'counts', 'counts')));
    parts.forEach((m, p) => {
      const indices = this.#children[p]?.indices ?? [];
      m?.bots.forEach((b, j) => {
        const i = indices[j];
        if (i !== undefined) out[i] = b;
      });
    });
    return out;
  }

  /** The fleet's summary, merged over the processes (latency percentiles from the merged reservoirs). */
  async summary(): Promise<FleetSummary> {
    const reports = (await Promise.all(this.#children.map((c) => this.#ask(c, 'report', 'report')))).flatMap(
      (m): ShardReport[] => (m === undefined ? [] : [m.report]),
    );
    return mergeReports(this.#o.meetings, this.count, reports, this.#errors);
  }

  /** Every bot leaves, then the processes end. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all(
        this.#children.map(async (child) => {
          if (child.exited !== undefined) return;
          const exited = new Promise<void>((resolve) =>
            child.process.once('exit', () => {
              resolve();
            }),
          );
          this.#send(child, { type: 'close' });
          const timer = setTimeout(() => child.process.kill('SIGKILL'), 30_000);
          await exited;
          clearTimeout(timer);
        }),
      );
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** One summary from several processes' reports; `errors` (the parent's own) come first. */
export function mergeReports(
  meetings: readonly string[],
  bots: number,
  reports: readonly ShardReport[],
  errors: readonly string[] = [],
): FleetSummary {
  const latency = new LatencySamples();
  const recoveries: number[] = [];
  let expected = 0;
  let counted = 0;
  const sum = (f: (s: FleetSummary) => number): number => reports.reduce((a, r) => a + f(r.summary), 0);
  for (const r of reports) {
    latency.merge(r.latency.samples, r.latency.count, r.latency.max);
    recoveries.push(...r.recoveryDurations);
    expected += r.summary.framesExpected;
    counted += r.receivedCounted;
  }
  const round = (n: number): number => Math.round(n * 10) / 10;
  const p = latency.percentiles();
  return {
    meetings,
    bots,
    joined: sum((s) => s.joined),
    failedJoins: bots - sum((s) => s.joined),
    lostDuringRun: sum((s) => s.lostDuringRun),
    framesSent: sum((s) => s.framesSent),
    framesReceived: sum((s) => s.framesReceived),
    framesExpected: expected,
    corruptFrames: sum((s) => s.corruptFrames),
    loss: expected === 0 ? 0 : Math.max(0, 1 - counted / expected),
    latencyMs: { p50: round(p.p50), p95: round(p.p95), p99: round(p.p99), max: round(p.max), count: p.count },
    recoveries: recoveries.length,
    recoveryMs: percentilesOf(recoveries),
    participantIdsKept: reports.every((r) => r.summary.participantIdsKept),
    durationS: Math.max(0, ...reports.map((r) => r.summary.durationS)),
    errors: [...errors, ...reports.flatMap((r) => r.summary.errors)],
  };
}
