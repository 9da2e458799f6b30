import { clientKey } from './client-key.ts';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

export interface LoginGuardOptions {
  /** Failed logins per account within the window before the account locks. */
  readonly accountFailures: number;
  readonly accountWindowSec: number;
  /** Lockout length once the account limit is hit. */
  readonly accountLockoutSec: number;
  /** Attempts (success or not) per client IP within the window. */
  readonly ipAttempts: number;
  readonly ipWindowSec: number;
  readonly ipBlockSec: number;
  /** Redis client (node-redis v4+) for a shared store; memory otherwise. */
  readonly redis?: unknown;
  readonly keyPrefix?: string;
}

export type GuardDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSec: number };

/**
 * Login throttling per client IP (all attempts) and per account name (failures only). The account key is the
 * attempted name whether or not it exists, so a lockout says nothing about existence.
 */
export class LoginGuard {
  readonly #byIp: RateLimiterAbstract;
  readonly #byAccount: RateLimiterAbstract;
  readonly #lockoutSec: number;

  constructor(o: LoginGuardOptions) {
    this.#lockoutSec = o.accountLockoutSec;
    const prefix = o.keyPrefix ?? 'auth';
    const make = (
      keyPrefix: string,
      points: number,
      duration: number,
      blockDuration: number,
    ): RateLimiterAbstract =>
      o.redis === undefined
        ? new RateLimiterMemory({ keyPrefix, points, duration, blockDuration })
        : new RateLimiterRedis({
            storeClient: o.redis,
            useRedisPackage: true,
            keyPrefix,
            points,
            duration,
            blockDuration,
          });
    this.#byIp = make(`${prefix}:login-ip`, o.ipAttempts, o.ipWindowSec, o.ipBlockSec);
    this.#byAccount = make(
      `${prefix}:login-account`,
      o.accountFailures,
      o.accountWindowSec,
      o.accountLockoutSec,
    );
  }

  /** Counts the attempt against the IP and checks the account is not locked. Call before checking the password. */
  async admit(ip: string, account: string): Promise<GuardDecision> {
    try {
      await this.#byIp.consume(clientKey(ip));
    } catch (err) {
      return refused(err);
    }
    const state = await this.#byAccount.get(account);
    if (state !== null && state.remainingPoints <= 0) {
      return { allowed: false, retryAfterSec: Math.max(1, Math.ceil(state.msBeforeNext / 1000)) };
    }
    return { allowed: true };
  }

  async failed(account: string): Promise<void> {
    try {
      const res = await this.#byAccount.consume(account);
      // The failure that uses up the budget starts the lockout (the limiter alone would only block on the next one).
      if (res.remainingPoints <= 0) await this.#byAccount.block(account, this.#lockoutSec);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
    }
  }

  async succeeded(account: string): Promise<void> {
    await this.#byAccount.delete(account);
  }
}

function refused(err: unknown): GuardDecision {
  if (err instanceof RateLimiterRes)
    return { allowed: false, retryAfterSec: Math.max(1, Math.ceil(err.msBeforeNext / 1000)) };
  throw err;
}
