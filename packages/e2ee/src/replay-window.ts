// A sliding replay window per KID: a counter is accepted once, and only if it is newer than
// (highest seen - window). Mirrors the anti-replay windows of IPsec/SRTP.
export class ReplayWindow {
  readonly #size: bigint;
  #highest = -1n;
  #seen = 0n; // bit i set: counter (highest - i) was accepted

  constructor(size = 1024) {
    this.#size = BigInt(size);
  }

  /** True when `ctr` has not been accepted before and is not too old. Does not record it. */
  check(ctr: bigint): boolean {
    if (ctr > this.#highest) return true;
    const age = this.#highest - ctr;
    if (age >= this.#size) return false;
    return ((this.#seen >> age) & 1n) === 0n;
  }

  /** Records an authenticated counter. Call only after the frame decrypted. */
  accept(ctr: bigint): void {
    if (ctr > this.#highest) {
      const shift = ctr - this.#highest;
      this.#seen = shift >= this.#size ? 1n : ((this.#seen << shift) | 1n) & ((1n << this.#size) - 1n);
      this.#highest = ctr;
    } else {
      this.#seen |= 1n << (this.#highest - ctr);
    }
  }
}
