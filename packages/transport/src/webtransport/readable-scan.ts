// Which streams of a connection to look at after packets arrived, mostly without quiche's readable() iterator.
// readable() builds a native iterator (three functions and a finalizer) on every call. Objects with a finalizer
// outlive young-generation collections, so under media load they were all of a Media Handler's promoted garbage:
// old space grew ~5 MB per scavenge at 12,000 forwarded frames/s, scavenges took 11-20 ms, and the resident size
// followed the old-space sawtooth up (bench: BENCH_QUIC_ONLY=1 BENCH_RATES=3000, --trace-gc). Instead:
// - the streams the router already knows are asked one by one (streamReadable: a boolean, nothing allocated);
// - a stream the peer opened is found by asking for the next ids of its type: the gaps below the highest id seen,
//   and PROBE_AHEAD ids past it (peers open stream ids in order; a later one may arrive first);
// - readable() still runs when that would be more work than the iterator (a large table, a wide gap left by a
//   peer that skipped ids), and at most every FULL_SCAN_MS as a safety net, for a new stream that arrived more
//   than PROBE_AHEAD ids ahead of the others and whose lower ids never come.
import type { Role } from './h3-connection-options.ts';

/** What the scan asks of quiche's connection. */
export interface ReadableSource {
  streamReadable(streamId: number): boolean;
  readable(): Iterable<number>;
}

/** Ids probed past the highest peer stream seen, per stream type. */
export const PROBE_AHEAD = 8;
/**
 * Above this many known streams (or gap ids to probe), one readable() call is cheaper. A streamReadable call costs
 * about 60 ns; a readable() call about 35 us with the garbage collection it causes (media bench, before and after).
 * A cascade link between two handlers carries hundreds of streams (about 270 in the 200-bot soak).
 */
export const MAX_POLLED = 512;
/**
 * The safety net's period. A stream the probes missed (it arrived more than PROBE_AHEAD ids past the others) is
 * normally found as soon as the lower ids' lost packets are retransmitted, which moves the probes up to it. But a
 * full scan also finds what streamReadable does not report on a known stream: at 5 s, the bots of the Redis drill
 * reconnected in 8 of 20 runs (their signaling waited past its 5 s heartbeat), at 1 s and 200 ms in none of 8, as
 * with readable() on every flush (0 of 7). Not explained yet; until it is, one second. A quiet connection pays one
 * readable() per readable flush up to this often.
 */
export const FULL_SCAN_MS = 1000;

/** Peer-initiated ids of one type (next, next + 4, ...); every id below `next` was seen. */
interface PeerIds {
  next: number;
  /** Ids at or above `next` seen out of order. */
  readonly above: Set<number>;
  /** The highest id seen, or first - 4. */
  top: number;
}

export class ReadableScan {
  readonly #role: Role;
  readonly #now: () => number;
  readonly #types: readonly [PeerIds, PeerIds];
  #fullAt = Number.NEGATIVE_INFINITY;

  constructor(role: Role, now: () => number = () => performance.now()) {
    this.#role = role;
    this.#now = now;
    // Client-initiated ids are even (bidi 0 mod 4, uni 2 mod 4), server-initiated odd (RFC 9000 section 2.1).
    const bidi = role === 'server' ? 0 : 1;
    const peer = (first: number): PeerIds => ({ next: first, above: new Set(), top: first - 4 });
    this.#types = [peer(bidi), peer(bidi + 2)];
  }

  /**
   * Calls `visit` with every stream that is readable now (and, after a full scan, with what readable() names).
   * `known`: the router's stream table; `visit(id)` may add entries for new ids or replace or delete entry `id`.
   */
  scan(src: ReadableSource, known: ReadonlyMap<number, unknown>, visit: (id: number) => void): void {
    const now = this.#now();
    if (now - this.#fullAt >= FULL_SCAN_MS || known.size > MAX_POLLED || this.#gapWork() > MAX_POLLED) {
      this.#fullAt = now;
      for (const id of src.readable()) {
        this.#saw(id);
        visit(id);
      }
      return;
    }
    // Not a copy of the keys: a visit only replaces or deletes its own entry, and a Map's iterator allows both.
    for (const id of known.keys()) if (this.#mayRead(id) && src.streamReadable(id)) visit(id);
    for (const t of this.#types) {
      let misses = 0;
      for (let id = t.next; id <= t.top || misses < PROBE_AHEAD; id += 4) {
        if (t.above.has(id) || known.has(id)) continue;
        if (src.streamReadable(id)) {
          this.#saw(id);
          visit(id);
        } else if (id > t.top) misses++;
      }
    }
  }

  /** The probes a scan would make below the highest ids seen. */
  #gapWork(): number {
    let n = 0;
    for (const t of this.#types) n += (t.top - t.next) / 4 + 1 - t.above.size;
    return n;
  }

  #isPeer(id: number): boolean {
    return (id & 1) === (this.#role === 'server' ? 0 : 1);
  }

  /** Our own unidirectional streams are write-only. */
  #mayRead(id: number): boolean {
    return this.#isPeer(id) || (id & 2) === 0;
  }

  #saw(id: number): void {
    if (!this.#isPeer(id)) return;
    const t = this.#types[(id & 2) >> 1];
    if (t === undefined || id < t.next) return;
    if (id > t.top) t.top = id;
    t.above.add(id);
    while (t.above.delete(t.next)) t.next += 4;
  }
}
