import type { StreamId } from '../ids.ts';
import type { Clock } from '../clock.ts';

export interface KeyframeLimiterOptions {
  clock: Clock;
  /** Minimum time between two requests for the same stream. */
  minIntervalMs: number;
  /** Sends the request to whoever publishes the stream (a client or the upstream handler). */
  send: (streamId: StreamId) => void;
}

/**
 * Rate-limits key frame requests per publisher stream. A request inside the interval is not lost: one trailing
 * request goes out when the interval ends, because a subscriber that dropped frames just after the previous key
 * frame passed would otherwise wait for the publisher's next periodic key frame.
 */
export class KeyframeLimiter {
  readonly #clock: Clock;
  readonly #minIntervalMs: number;
  readonly #send: (streamId: StreamId) => void;
  readonly #lastSent = new Map<StreamId, number>();
  readonly #trailing = new Map<StreamId, NodeJS.Timeout>();
  #closed = false;
  sent = 0;
  suppressed = 0;

  constructor(options: KeyframeLimiterOptions) {
    this.#clock = options.clock;
    this.#minIntervalMs = options.minIntervalMs;
    this.#send = options.send;
  }

  request(streamId: StreamId): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    const last = this.#lastSent.get(streamId);
    if (last === undefined || now - last >= this.#minIntervalMs) {
      this.#fire(streamId, now);
      return;
    }
    this.suppressed++;
    if (this.#trailing.has(streamId)) return;
    const timer = setTimeout(
      () => {
        this.#trailing.delete(streamId);
        if (!this.#closed) this.#fire(streamId, this.#clock.now());
      },
      this.#minIntervalMs - (now - last),
    );
    timer.unref();
    this.#trailing.set(streamId, timer);
  }

  /** Forgets a stream (its publisher left). */
  forget(streamId: StreamId): void {
    this.#lastSent.delete(streamId);
    const t = this.#trailing.get(streamId);
    if (t !== undefined) clearTimeout(t);
    this.#trailing.delete(streamId);
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#trailing.values()) clearTimeout(t);
    this.#trailing.clear();
  }

  #fire(streamId: StreamId, now: number): void {
    this.#lastSent.set(streamId, now);
    this.sent++;
    this.#send(streamId);
  }
}
