// Active health checks of the media handlers (architecture.md "Media Handler Failure": the Meeting Controller detects
// handler failure via health checks). Heartbeats alone notice a dead handler only after the heartbeat timeout
// (seconds); stream failover must finish within a second, so every live handler is also probed a few times a second.
// A handler whose port refuses connections is dead now (its process is gone); one that stops answering in time is
// declared dead after a few consecutive misses, so a single slow answer on a busy machine does not move a meeting.
import type { HandlerId } from '../ids.ts';
import type { HandlerRegistry, HandlerSnapshot } from './handler-registry.ts';

/** What one probe saw: `up` (it answered), `refused` (nothing listens: the process is gone). */
export type ProbeOutcome = 'up' | 'refused';

export interface HandlerProbeOptions {
  readonly registry: HandlerRegistry;
  /** One health check; resolves with what it saw, rejects (or overruns `timeoutMs`) when it could not tell. */
  readonly probe: (handler: HandlerSnapshot, signal: AbortSignal) => Promise<ProbeOutcome>;
  /** Called with the handlers just declared dead (already marked unhealthy in the registry). */
  readonly onFailed: (handlers: ReadonlySet<HandlerId>) => void;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Consecutive unanswered probes that declare a handler dead (a refusal declares it at once). */
  readonly missesToFail: number;
}

export class HandlerProbe implements AsyncDisposable {
  readonly #o: HandlerProbeOptions;
  readonly #misses = new Map<HandlerId, number>();
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #resolveClosed!: () => void;
  readonly closed: Promise<void>;

  constructor(options: HandlerProbeOptions) {
    this.#o = options;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  start(): void {
    if (this.#timer !== undefined || this.#closing !== undefined) return;
    this.#timer = setInterval(() => {
      this.#round ??= this.probeOnce().finally(() => {
        this.#round = undefined;
      });
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  /** One round over every handler not already known dead; returns when every probe settled. */
  async probeOnce(): Promise<void> {
    const live = this.#o.registry.healthy();
    const alive = new Set(live.map((h) => h.handlerId));
    for (const id of [...this.#misses.keys()]) if (!alive.has(id)) this.#misses.delete(id);
    const outcomes = await Promise.all(live.map(async (h) => [h.handlerId, await this.#check(h)] as const));
    const failed = new Set<HandlerId>();
    // Misses alone fail a handler only while another one answered this round: when none answered, the stall is more
    // likely ours (or the whole machine's) than every handler's, and failing the last handlers would only cut the
    // media they still carry. A refusal is proof either way; a truly dead silent handler still ages out by heartbeat.
    const someoneAnswered = outcomes.some(([, outcome]) => outcome === 'up');
    for (const [id, outcome] of outcomes) {
      if (outcome === 'up') {
        this.#misses.delete(id);
        continue;
      }
      const misses = outcome === 'refused' ? this.#o.missesToFail : (this.#misses.get(id) ?? 0) + 1;
      if (misses < this.#o.missesToFail || (outcome === 'missed' && !someoneAnswered)) {
        this.#misses.set(id, Math.min(misses, this.#o.missesToFail));
        continue;
      }
      this.#misses.delete(id);
      // It may have re-registered or heartbeated while the probe ran: only a handler still counted alive fails.
      if (this.#o.registry.get(id)?.health === 'unhealthy') continue;
      this.#o.registry.markUnhealthy(id);
      failed.add(id);
    }
    if (failed.size > 0 && this.#closing === undefined) this.#o.onFailed(failed);
  }

  async #check(handler: HandlerSnapshot): Promise<ProbeOutcome | 'missed'> {
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#o.timeoutMs)]);
    try {
      return await this.#o.probe(handler, signal);
    } catch {
      return 'missed';
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      this.#abort.abort();
      await this.#round;
      this.#resolveClosed();
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * The production probe: any HTTP answer from the handler's RPC port means the process is up and its event loop
 * turns; a refused connection means nothing listens there any more.
 */
export async function httpProbe(handler: HandlerSnapshot, signal: AbortSignal): Promise<ProbeOutcome> {
  try {
    const res = await fetch(handler.rpcUrl, { method: 'GET', signal });
    await res.body?.cancel();
    return 'up';
  } catch (error) {
    if (errorCode(error) === 'ECONNREFUSED') return 'refused';
    throw error;
  }
}

function errorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = e.cause;
  }
  return undefined;
}
