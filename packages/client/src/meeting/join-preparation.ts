// What a join can do before the user clicks Join (the pre-join page): fetch the join grant from the Global
// Controller and open the WebTransport session to the Meeting Controller it names. Meeting.join then starts at the
// JoinRequest: on loopback the grant and the session were ~40 ms of the ~100 ms from the click to joined.
//
// A prepared session is used only while it is fresh: a Meeting Controller closes a session that sends no
// JoinRequest within its join timeout (10 s by default), so one older than `sessionFreshMs` (7 s) is closed and,
// on the next `warm()` (the user's pointer or focus reaching Join), opened again. Each grant and session is handed
// out once; a failed preparation is forgotten and the join does the step itself, so its error is the join's own.
import type { Session } from '@darktower/transport/browser';
import type { DarkTowerApi, JoinGrant } from '../api/darktower-api.ts';
import type { Connector } from './meeting-types.ts';

export interface JoinPreparationOptions {
  readonly api: DarkTowerApi;
  /** Opens sessions (the same connector the join uses: the same transports race). */
  readonly connector: Connector;
  /** Meeting id or code. */
  readonly meeting: string;
  readonly displayName: string;
  readonly userToken?: string | undefined;
  /** How long an opened, unused signaling session is handed out (default 7 s; below the controller's 10 s). */
  readonly sessionFreshMs?: number;
  /** How long a fetched grant is handed out (default 4 min; grants last 5 min). */
  readonly grantFreshMs?: number;
  /** Clock (ms), for tests. */
  readonly now?: () => number;
}

interface PreparedGrant {
  /** Undefined when the fetch failed (the join then fetches its own and reports its error). */
  readonly value: Promise<JoinGrant | undefined>;
  /** When it was asked for. */
  readonly at: number;
}

interface PreparedSession {
  readonly value: Promise<Session | undefined>;
  /** When it was asked for, then when it opened (which is when the controller's join timeout starts). */
  at: number;
  /** Opened and not closed since. */
  usable: boolean;
  /** No longer in flight. */
  settled: boolean;
  /** Handed to a join: the join owns it from here. */
  taken: boolean;
  /** The controller the grant named. */
  url?: string;
}

export class JoinPreparation implements AsyncDisposable {
  readonly #o: JoinPreparationOptions;
  readonly #now: () => number;
  readonly #grantFreshMs: number;
  readonly #sessionFreshMs: number;
  readonly #abort = new AbortController();
  #grant: PreparedGrant | undefined;
  #session: PreparedSession | undefined;
  #closed = false;

  /** Starts fetching the grant and, once it is here, opening the signaling session. */
  constructor(options: JoinPreparationOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => performance.now());
    this.#grantFreshMs = options.grantFreshMs ?? 240_000;
    this.#sessionFreshMs = options.sessionFreshMs ?? 7_000;
    this.warm();
  }

  /** Whether this preparation is for that join (same name and user). */
  matches(displayName: string, userToken: string | undefined): boolean {
    return !this.#closed && displayName === this.#o.displayName && userToken === this.#o.userToken;
  }

  /** Fetches a grant and opens a session where the current ones are missing or stale. Idempotent; never throws. */
  warm(): void {
    if (this.#closed) return;
    const now = this.#now();
    if (this.#grant === undefined || now - this.#grant.at > this.#grantFreshMs)
      this.#grant = this.#fetchGrant(now);
    const s = this.#session;
    // Opened again when missing, failed, closed by the controller, or stale; not while one is opening.
    if (s === undefined || (s.settled && (!s.usable || now - s.at > this.#sessionFreshMs))) {
      if (s !== undefined) this.#dropSession();
      const grant = this.#grant.value;
      this.#session = this.#openSession(now, grant);
    }
  }

  /**
   * The pieces of MeetingOptions that use what was prepared: `grant` (once; later calls, or a failed or stale
   * preparation, fetch afresh) and a `connector` that hands over the prepared signaling session when it is fresh.
   */
  joinOptions(): { grant: (signal: AbortSignal) => Promise<JoinGrant>; connector: Connector } {
    return {
      grant: async (signal) => {
        const g = this.#takeGrant();
        const grant = g === undefined ? undefined : await g;
        return (
          grant ??
          this.#o.api.joinMeeting(
            this.#o.meeting,
            { displayName: this.#o.displayName, userToken: this.#o.userToken },
            signal,
          )
        );
      },
      connector: async (target, signal) => {
        if (target.purpose === 'signaling') {
          const session = await this.#takeSession(target.url);
          if (session !== undefined) return session;
        }
        return this.#o.connector(target, signal);
      },
    };
  }

  /** Closes a session that was not handed out. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    this.#grant = undefined;
    const s = this.#session;
    this.#session = undefined;
    const session = await s?.value;
    session?.close({ closeCode: 0, reason: 'join preparation closed' });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #fetchGrant(now: number): PreparedGrant {
    return {
      at: now,
      value: this.#o.api
        .joinMeeting(
          this.#o.meeting,
          { displayName: this.#o.displayName, userToken: this.#o.userToken },
          this.#abort.signal,
        )
        .catch(() => undefined),
    };
  }

  #openSession(now: number, grant: Promise<JoinGrant | undefined>): PreparedSession {
    const prepared: PreparedSession = {
      at: now,
      usable: false,
      settled: false,
      taken: false,
      value: grant.then(async (g) => {
        if (g === undefined || this.#closed) {
          prepared.settled = true;
          return undefined;
        }
        try {
          const session = await this.#o.connector(
            { url: g.meetingControllerUrl, serverCertificateHashes: [], purpose: 'signaling' },
            this.#abort.signal,
          );
          prepared.usable = true;
          prepared.at = this.#now();
          prepared.url = g.meetingControllerUrl;
          void session.closed.then(() => (prepared.usable = false));
          if (!prepared.taken && this.#session !== prepared) {
            // Replaced or closed while it opened.
            prepared.usable = false;
            session.close({ closeCode: 0, reason: 'join preparation replaced' });
          }
          return session;
        } catch {
          return undefined;
        } finally {
          prepared.settled = true;
        }
      }),
    };
    return prepared;
  }

  #takeGrant(): Promise<JoinGrant | undefined> | undefined {
    const g = this.#grant;
    this.#grant = undefined;
    if (g === undefined || this.#closed) return undefined;
    if (this.#now() - g.at > this.#grantFreshMs) return undefined;
    return g.value;
  }

  async #takeSession(url: string): Promise<Session | undefined> {
    const s = this.#session;
    if (s === undefined || this.#closed) return undefined;
    this.#session = undefined;
    s.taken = true;
    const session = await s.value;
    if (session === undefined) return undefined;
    const fresh = s.usable && this.#now() - s.at <= this.#sessionFreshMs;
    // Only for the controller the grant named (a grant fetched afresh may name another).
    if (fresh && s.url === url) return session;
    session.close({ closeCode: 0, reason: 'join preparation not used' });
    return undefined;
  }

  #dropSession(): void {
    const s = this.#session;
    this.#session = undefined;
    void s?.value.then((session) => session?.close({ closeCode: 0, reason: 'join preparation stale' }));
  }
}
