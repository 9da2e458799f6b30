// The sessions of one HTTP/3 connection and their CONNECT streams (request streams), with what the connection
// asks of them as a whole: how many are open or being decided, the highest client stream seen (for GOAWAY), and
// who waits for all of them to be gone (a graceful close).
import type { QuicSession } from './quic-session.ts';
import type { RequestStream } from './request-stream.ts';

export class SessionTable {
  readonly sessions = new Map<number, QuicSession>();
  readonly requests = new Map<number, RequestStream>();
  /** A session existed on this connection at some point (the connect deadline is met). */
  hadSession = false;
  #emptyWaiters: (() => void)[] = [];

  get isEmpty(): boolean {
    return this.sessions.size === 0 && this.requests.size === 0;
  }

  /** Open sessions plus requests whose accept/refuse decision is still pending. */
  openOrDeciding(): number {
    let deciding = 0;
    for (const r of this.requests.values()) if (r.phase === 'deciding') deciding++;
    return this.sessions.size + deciding;
  }

  /** The GOAWAY id for a server: one past the highest client-initiated bidi stream seen. */
  nextClientBidi(): number {
    let max = -4;
    for (const id of this.requests.keys()) max = Math.max(max, id);
    for (const id of this.sessions.keys()) max = Math.max(max, id);
    return max + 4;
  }

  /** Resolves when the table is empty (see `releaseIfEmpty`), or after `graceMs`. */
  untilEmpty(graceMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      this.#emptyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Releases everyone waiting in `untilEmpty` if nothing is left (or unconditionally with `force`). */
  releaseWaiters(force = false): boolean {
    if (!force && !this.isEmpty) return false;
    for (const w of this.#emptyWaiters.splice(0)) w();
    return true;
  }
}
