import { Bot } from './bot.js';
import { LatencySamples, percentilesOf } from './stats.js';
function defaultLayout(perMeeting) {
  const others = Math.max(1, Math.min(16, perMeeting - 1));
  const columns = Math.ceil(Math.sqrt(others));
  return { kind: 'grid', rows: Math.ceil(others / columns), columns };
}
export function errorText(error) {
  if (error instanceof Error) {
    const code = error.code;
    return `${typeof code === 'string' ? `${code}: ` : ''}${error.message}`;
  }
  return String(error);
}
export class BotFleet {
  bots = [];
  latency = new LatencySamples();
  #o;
  #errors = [];
  #startedAtMs = 0;
  #closing;
  constructor(options) {
    if (options.meetings.length === 0) throw new Error('at least one meeting is needed');
    if (!Number.isInteger(options.count) || options.count < 1)
      throw new Error('count must be a positive integer');
    this.#o = options;
  }
  /** Joins every bot (bounded concurrency); failures are counted, not thrown. */
  async join(signal) {
    const o = this.#o;
    this.#startedAtMs = Date.now();
    const perMeeting = Math.ceil(o.count / o.meetings.length);
    for (let i = 0; i < o.count; i++) {
      this.bots.push(
        new Bot({
          baseUrl: o.baseUrl,
          meeting: o.meetings[i % o.meetings.length] ?? '',
          name: `${o.namePrefix ?? 'bot'}-${String(i + 1)}`,
          connector: o.connector,
          publish: o.publish,
          layout: o.layout ?? defaultLayout(perMeeting),
          latency: this.latency,
          ...(o.videoFps === undefined ? {} : { videoFps: o.videoFps }),
          ...(o.audioFps === undefined ? {} : { audioFps: o.audioFps }),
          ...(o.videoBytes === undefined ? {} : { videoBytes: o.videoBytes }),
          ...(o.reconnectAttempts === undefined ? {} : { reconnectAttempts: o.reconnectAttempts }),
          ...(o.reconnectDelayMs === undefined ? {} : { reconnectDelayMs: o.reconnectDelayMs }),
        }),
      );
    }
    let next = 0;
    const worker = async () => {
      while (next < this.bots.length && signal?.aborted !== true) {
        const bot = this.bots[next++];
        if (bot === undefined) return;
        await bot.join(signal).catch((error) => {
          this.#errors.push(`${bot.name}: join failed: ${errorText(error)}`);
        });
      }
    };
    const workers = Math.max(1, Math.min(o.joinConcurrency ?? 8, this.bots.length));
    await Promise.all(Array.from({ length: workers }, worker));
  }
  progress() {
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
  async until(predicate, timeoutMs, what = 'condition') {
    const start = Date.now();
    while (!predicate(this)) {
      if (Date.now() - start > timeoutMs)
        throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return Date.now() - start;
  }
  summary() {
    let framesExpected = 0;
    let framesReceivedCounted = 0;
    let corrupt = 0;
    let framesSent = 0;
    let framesReceived = 0;
    let joined = 0;
    let failedJoins = 0;
    let lost = 0;
    let kept = true;
    const recoveryDurations = [];
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
  close() {
    this.#closing ??= Promise.allSettled(this.bots.map((b) => b.close())).then(() => undefined);
    return this.#closing;
  }
  [Symbol.asyncDispose]() {
    return this.close();
  }
}
function roundAll(p) {
  const r = (n) => Math.round(n * 10) / 10;
  return { p50: r(p.p50), p95: r(p.p95), p99: r(p.p99), max: r(p.max), count: p.count };
}
//# sourceMappingURL=bot-fleet.js.map
