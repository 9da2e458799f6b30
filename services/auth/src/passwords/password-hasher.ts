import { hash, verify } from '@node-rs/argon2';
import { HashGate } from './hash-gate.ts';

/** argon2id cost parameters (OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1 is the baseline). */
export interface Argon2Params {
  readonly memoryCostKiB: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

export const OWASP_ARGON2ID: Argon2Params = { memoryCostKiB: 19_456, timeCost: 2, parallelism: 1 };

export const MAX_PASSWORD_LENGTH = 256;

export class PasswordHasher {
  readonly #params: Argon2Params;
  readonly #gate: HashGate;
  #dummy: Promise<string> | undefined;

  /** `maxConcurrent`/`maxQueued` bound argon2 work; beyond them calls reject with HashGateFull. */
  constructor(
    params: Argon2Params,
    limits: { maxConcurrent: number; maxQueued: number } = { maxConcurrent: 4, maxQueued: 64 },
  ) {
    this.#params = params;
    this.#gate = new HashGate(limits.maxConcurrent, limits.maxQueued);
  }

  /** argon2id: @node-rs/argon2's default algorithm (its `Algorithm` const enum cannot be imported under isolated modules); a test pins the `$argon2id$` prefix. */
  hash(password: string): Promise<string> {
    return this.#gate.run(() =>
      hash(password, {
        memoryCost: this.#params.memoryCostKiB,
        timeCost: this.#params.timeCost,
        parallelism: this.#params.parallelism,
      }),
    );
  }

  /** A wrong or malformed stored hash is `false`; only a saturated gate (HashGateFull) throws. */
  async verify(stored: string, password: string): Promise<boolean> {
    if (password.length > MAX_PASSWORD_LENGTH) return false;
    return this.#gate.run(async () => {
      try {
        return await verify(stored, password);
      } catch {
        return false;
      }
    });
  }

  /**
   * Burns the same time as a real verify for a user that does not exist, so response time does not reveal
   * whether an account exists.
   */
  async verifyDummy(password: string): Promise<false> {
    // Outside the gate: computed once, and a refusal must not be cached in its place.
    this.#dummy ??= hash('dark-tower-dummy-password', {
      memoryCost: this.#params.memoryCostKiB,
      timeCost: this.#params.timeCost,
      parallelism: this.#params.parallelism,
    });
    await this.verify(await this.#dummy, password);
    return false;
  }
}
