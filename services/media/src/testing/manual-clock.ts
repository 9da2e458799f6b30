import type { Clock } from '../clock.ts';

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  #now: number;
  constructor(start = 1_000) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}
