import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { GuardDecision } from './login-guard.ts';
import { clientKey } from './client-key.ts';

export interface IpLimiterOptions {
  readonly name: string;
  readonly points: number;
  readonly durationSec: number;
  readonly redis?: unknown;
  readonly keyPrefix?: string;
}

/** A fixed-window request budget per key (client IP), memory or Redis backed. */
export class IpLimiter {
  readonly #limiter: RateLimiterAbstract;

  constructor(o: IpLimiterOptions) {
    const keyPrefix = `${o.keyPrefix ?? 'auth'}:${o.name}`;
    this.#limiter =
      o.redis === undefined
        ? new RateLimiterMemory({ keyPrefix, points: o.points, duration: o.durationSec })
        : new RateLimiterRedis({
            storeClient: o.redis,
            useRedisPackage: true,
            keyPrefix,
            points: o.points,
            duration: o.durationSec,
          });
  }

  async take(key: string): Promise<GuardDecision> {
    try {
      await this.#limiter.consume(clientKey(key));
      return { allowed: true };
    } catch (err) {
      if (err instanceof RateLimiterRes)
        return { allowed: false, retryAfterSec: Math.max(1, Math.ceil(err.msBeforeNext / 1000)) };
      throw err;
    }
  }
}
