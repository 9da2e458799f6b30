import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { RedisClient } from '../kv/redis-client.ts';

export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Unix seconds when the window resets. */
  readonly resetAt: number;
  readonly retryAfterSeconds: number;
}

export interface RateLimiterOptions {
  /** Shared counters (several instances); without it counts are per process. */
  readonly redis?: RedisClient;
  readonly keyPrefix: string;
  readonly windowSeconds?: number;
  readonly now?: () => number;
}

/**
 * Fixed-window request limits per client key. Limits differ per tenant, so one limiter per distinct limit;
 * with Redis, a memory limiter is the insurance when Redis is unreachable (requests keep being limited).
 */
export class RequestRateLimiter {
  readonly #options: RateLimiterOptions;
  readonly #limiters = new Map<number, RateLimiterAbstract>();
  readonly #window: number;
  readonly #now: () => number;

  constructor(options: RateLimiterOptions) {
    this.#options = options;
    this.#window = options.windowSeconds ?? 60;
    this.#now = options.now ?? Date.now;
  }

  async consume(key: string, limit: number): Promise<RateLimitDecision> {
    const limiter = this.#limiter(limit);
    let res: RateLimiterRes;
    let allowed = true;
    try {
      res = await limiter.consume(key, 1);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      res = error;
      allowed = false;
    }
    const resetMs = Math.max(0, res.msBeforeNext);
    return {
      allowed,
      limit,
      remaining: Math.max(0, res.remainingPoints),
      resetAt: Math.ceil((this.#now() + resetMs) / 1000),
      retryAfterSeconds: Math.max(1, Math.ceil(resetMs / 1000)),
    };
  }

  #limiter(points: number): RateLimiterAbstract {
    let limiter = this.#limiters.get(points);
    if (limiter === undefined) {
      const keyPrefix = `${this.#options.keyPrefix}rl:${points}`;
      const memory = new RateLimiterMemory({ points, duration: this.#window, keyPrefix });
      limiter =
        this.#options.redis === undefined
          ? memory
          : new RateLimiterRedis({
              storeClient: this.#options.redis,
              useRedisPackage: true,
              points,
              duration: this.#window,
              keyPrefix,
              insuranceLimiter: memory,
            });
      this.#limiters.set(points, limiter);
    }
    return limiter;
  }
}
