// Every timer of one HTTP/3 connection in one place, so closing the connection cancels all of them:
// quiche's own (loss detection, idle), the connect deadline, the keep-alive PINGs and the grace before closing
// a connection whose sessions are gone.

export class ConnectionTimers {
  #quiche: NodeJS.Timeout | undefined;
  #quicheDue = 0;
  #connect: NodeJS.Timeout | undefined;
  #keepalive: NodeJS.Timeout | undefined;
  #grace: NodeJS.Timeout | undefined;

  /**
   * quiche's next deadline (from `timeout()`); null clears it. Called after every flush, and under traffic every
   * ACK moves quiche's loss-detection deadline a little later: a timer already due no later than the new deadline
   * is kept (it fires early at worst, quiche's onTimeout ignores timers not yet due, and the flush after it arms
   * the real deadline), so the timer is not torn down and made again per packet. A deadline that comes earlier
   * re-arms at once.
   */
  armQuiche(ms: number | null, fire: () => void): void {
    if (ms === null) {
      clearTimeout(this.#quiche);
      this.#quiche = undefined;
      return;
    }
    const delay = Math.max(0, Math.ceil(ms));
    const due = performance.now() + delay;
    if (this.#quiche !== undefined && this.#quicheDue < due + 1) return;
    clearTimeout(this.#quiche);
    this.#quicheDue = due;
    this.#quiche = setTimeout(() => {
      this.#quiche = undefined;
      fire();
    }, delay);
  }

  startConnectDeadline(ms: number, fire: () => void): void {
    this.#connect = setTimeout(fire, ms);
    this.#connect.unref();
  }

  connectDone(): void {
    clearTimeout(this.#connect);
  }

  /** Starts the keep-alive once; `tick` runs every `ms` until cleared. */
  startKeepalive(ms: number, tick: () => void): void {
    if (this.#keepalive) return;
    this.#keepalive = setInterval(tick, Math.max(100, ms));
    this.#keepalive.unref();
  }

  startGrace(ms: number, fire: () => void): void {
    clearTimeout(this.#grace);
    this.#grace = setTimeout(fire, ms);
    this.#grace.unref();
  }

  clearAll(): void {
    clearTimeout(this.#quiche);
    clearTimeout(this.#connect);
    clearInterval(this.#keepalive);
    clearTimeout(this.#grace);
  }
}
