// Token bucket per participant: `limit` messages per `windowMs`, refilled continuously, bursts up to `limit`.
import type { Clock } from '../ids.ts';

export type RateDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

export class RateLimiter {
  readonly #clock: Clock;
  readonly #limit: number;
  readonly #perMs: number;
  #tokens: number;
  #at: number;

  constructor(clock: Clock, limit: number, windowMs: number) {
    if (!(limit > 0) || !(windowMs > 0)) throw new RangeError('rate limit and window must be positive');
    this.#clock = clock;
    this.#limit = limit;
    this.#perMs = limit / windowMs;
    this.#tokens = limit;
    this.#at = clock.now();
  }

  take(): RateDecision {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#limit, this.#tokens + Math.max(0, now - this.#at) * this.#perMs);
    this.#at = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: (1 - this.#tokens) / this.#perMs };
  }
}
