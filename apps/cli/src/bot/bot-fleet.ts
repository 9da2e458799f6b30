// Many bots: joins them with bounded concurrency, reports progress once a second, and summarises the run (joined,
// frames sent and received, loss from frame-number gaps, capture-to-receipt latency percentiles, recoveries).
import type { ClientTracer, Connector, LayoutSpec } from '@darktower/client';
import { Bot, type PublishMode } from './bot.ts';
import { LatencySamples, percentilesOf, type Percentiles } from './stats.ts';

export interface FleetOptions {
  readonly baseUrl: string;
  /** Meeting codes or ids; bot i joins meetings[i % meetings.length]. */
  readonly meetings: readonly string[];
  readonly count: number;
  readonly connector: Connector;
  readonly publish: PublishMode;
  readonly namePrefix?: string;
  readonly joinConcurrency?: number;
  readonly videoFps?: number;
  readonly audioFps?: number;
  readonly videoBytes?: number;
  readonly reconnectAttempts?: number;
  readonly reconnectDelayMs?: number;
  /** Video subscription layout; default a grid big enough for the other bots of a meeting (at most 4x4). */
  readonly layout?: LayoutSpec;
  /** Every bot's join is traced with it (the SDK's join trace). */
  readonly tracer?: ClientTracer;
  /** The number in each bot's name (default 1..count); a fleet split over processes numbers its part. */
  readonly botNumbers?: readonly number[];
}

export interface FleetProgress {
  readonly elapsedS: number;
  readonly bots: number;
  readonly joined: number;
  readonly reconnecting: number;
  readonly failed: number;
  readonly framesSent: number;
  readonly framesReceived: number;
}

export interface FleetSummary {
  readonly meetings: readonly string[];
  readonly bots: number;
  readonly joined: number;
  readonly failedJoins: number;
  readonly lostDuringRun: number;
  readonly framesSent: number;
  readonly framesReceived: number;
  readonly framesExpected: number;
  readonly corruptFrames: number;
  /** 1 - received/expected over every received stream (0 when nothing was expected). */
  readonly loss: number;
  readonly latencyMs: Percentiles;
  readonly recoveries: number;
  readonly recoveryMs: Omit<Percentiles, 'count'>;
  readonly participantIdsKept: boolean;
  readonly durationS: number;
  readonly errors: readonly string[];
}

export function defaultLayout(perMeeting: number): LayoutSpec {
  const others = Math.max(1, Math.min(16, perMeeting - 1));
  const columns = Math.ceil(Math.sqrt(others));
  return { kind: 'grid', rows: Math.ceil(others / columns), columns };
}

export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code}: ` : ''}${error.message}`;
  }
  return String(error);
}

export class BotFleet implements AsyncDisposable {
  readonly bots: Bot[] = [];
  readonly latency = new LatencySamples();
  readonly #o: FleetOptions;
  readonly #errors: string[] = [];
  #startedAtMs = 0;
  #closing: Promise<void> | undefined;

  constructor(options: FleetOptions) {
    if (options.meetings.length === 0) throw new Error('at least one meeting is needed');
    if (!Number.isInteger(options.count) || options.count < 1)
      throw new Error('count must be a positive integer');
    this.#o = options;
  }

  /** Joins every bot (bounded concurrency); failures are counted, not thrown. */
  async join(signal?: AbortSignal): Promise<void> {
    const o = this.#o;
    this.#startedAtMs = Date.now();
    const perMeeting = Math.ceil(o.count / o.meetings.length);
    for (let i = 0; i < o.count; i++) {
      this.bots.push(
        new Bot({
          baseUrl: o.baseUrl,
          meeting: o.meetings[i % o.meetings.length] ?? '',
          name: `${o.namePrefix ?? 'bot'}-${String(o.botNumbers?.[i] ?? i + 1)}`,
          connector: o.connector,
          publish: o.publish,
          layout: o.layout ?? defaultLayout(perMeeting),
          latency: this.latency,
          ...(o.videoFps === undefined ? {} : { videoFps: o.videoFps }),
          ...(o.audioFps === undefined ? {} : { audioFps: o.audioFps }),
          ...(o.videoBytes === undefined ? {} : { videoBytes: o.videoBytes }),
          ...(o.reconnectAttempts === undefined ? {} : { reconnectAttempts: o.reconnectAttempts }),
          ...(o.reconnectDelayMs === undefined ? {} : { reconnectDelayMs: o.reconnectDelayMs }),
          ...(o.tracer === undefined ? {} : { tracer: o.tracer }),
        }),
      );
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.bots.length && signal?.aborted !== true) {
        const bot = this.bots[next++];
        if (bot === undefined) return;
        await bot.join(signal).catch((error: unknown) => {
          this.#errors.push(`${bot.name}: join failed: ${errorText(error)}`);
        });
      }
    };
    const workers = Math.max(1, Math.min(o.joinConcurrency ?? 8, this.bots.length));
    await Promise.all(Array.from({ length: workers }, worker));
  }

  progress(): FleetProgress {
    let joined = 0;
    let reconnecting = 0;
    let failed = 0;
    let framesSent = 0;
    let framesReceived = 0;
    for (const b of this.bots) {
      if (b.phase === 'joined') joined++;
      else if (b.phase === 'reconnecting') reconnecting++;
      else if (b.phase === 'failed') failed++;
      framesSent += b.framesSent;
      framesReceived += b.framesReceived;
    }
    return {
      elapsedS: Math.round((Date.now() - this.#startedAtMs) / 100) / 10,
      bots: this.bots.length,
      joined,
      reconnecting,
      failed,
      framesSent,
      framesReceived,
    };
  }

  /** Resolves when `predicate` holds (checked every 50 ms) or rejects after `timeoutMs`. */
  async until(
    predicate: (fleet: BotFleet) => boolean,
    timeoutMs: number,
    what = 'condition',
  ): Promise<number> {
    const start = Date.now();
    while (!predicate(this)) {
      if (Date.now() - start > timeoutMs)
        throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return Date.now() - start;
  }

  summary(): FleetSummary {
    let framesExpected = 0;
    let framesReceivedCounted = 0;
    let corrupt = 0;
    let framesSent = 0;
    let framesReceived = 0;
    let joined = 0;
    let failedJoins = 0;
    let lost = 0;
    let kept = true;
    const recoveryDurations: number[] = [];
    const errors = [...this.#errors];
    for (const b of this.bots) {
      const c = b.streamCounts;
      framesExpected += c.expected;
      framesReceivedCounted += c.received;
      corrupt += c.corrupt;
      framesSent += b.framesSent;
      framesReceived += b.framesReceived;
      if (b.firstParticipantId !== '') joined++;
      else failedJoins++;
      if (b.firstParticipantId !== '' && b.phase === 'failed') {
        lost++;
        errors.push(`${b.name}: left the meeting (${b.leftReason}): ${errorText(b.error)}`);
      }
      for (const f of b.publicationFailures) errors.push(`${b.name}: publication failed: ${f}`);
      for (const r of b.recoveries) {
        recoveryDurations.push(r.durationMs);
        if (!r.sameParticipantId) kept = false;
      }
    }
    return {
      meetings: this.#o.meetings,
      bots: this.bots.length,
      joined,
      failedJoins,
      lostDuringRun: lost,
      framesSent,
      framesReceived,
      framesExpected,
      corruptFrames: corrupt,
      loss: framesExpected === 0 ? 0 : Math.max(0, 1 - framesReceivedCounted / framesExpected),
      latencyMs: roundAll(this.latency.percentiles()),
      recoveries: recoveryDurations.length,
      recoveryMs: percentilesOf(recoveryDurations),
      participantIdsKept: kept,
      durationS: Math.round((Date.now() - this.#startedAtMs) / 100) / 10,
      errors,
    };
  }

  /** Every bot leaves. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= Promise.allSettled(this.bots.map((b) => b.close())).then(() => undefined);
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function roundAll(p: Percentiles): Percentiles {
  const r = (n: number): number => Math.round(n * 10) / 10;
  return { p50: r(p.p50), p95: r(p.p95), p99: r(p.p99), max: r(p.max), count: p.count };
}
