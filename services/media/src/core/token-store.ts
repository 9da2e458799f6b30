import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { MediaError } from '../errors.ts';
import type { MeetingId, ParticipantId, StreamId } from '../ids.ts';

/** What a connection token grants: who may connect, to which meeting, publishing which stream ids. */
export interface ConnectionGrant {
  participantId: ParticipantId;
  meetingId: MeetingId;
  /** Stream ids the controller assigned to this participant; only these may be published. */
  streamIds: readonly StreamId[];
  /** FourCC codec per assigned stream, when the controller said (used for streams that only send datagrams). */
  codecs?: ReadonlyMap<StreamId, string> | undefined;
}

export interface MintedToken {
  token: string;
  /** Milliseconds on the store's clock. */
  expiresAt: number;
}

export interface TokenStoreOptions {
  clock: Clock;
  /** Lifetime of a token (default 30 s). */
  ttlMs?: number;
  /** Outstanding tokens before minting is refused (default 100,000). */
  maxOutstanding?: number;
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Single-use, short-lived connection tokens (webtransport-flow.md 2.1): the handler mints one per
 * RegisterParticipant and a client spends it on its media session. A token works once, before it expires, and
 * only for the participant, meeting and stream ids it was minted for.
 */
export class ConnectionTokenStore {
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #maxOutstanding: number;
  readonly #tokens = new Map<string, { grant: ConnectionGrant; expiresAt: number }>();

  constructor(options: TokenStoreOptions) {
    this.#clock = options.clock;
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#maxOutstanding = options.maxOutstanding ?? 100_000;
  }

  get outstanding(): number {
    return this.#tokens.size;
  }

  mint(grant: ConnectionGrant): MintedToken {
    const now = this.#clock.now();
    if (this.#tokens.size >= this.#maxOutstanding) this.sweep(now);
    if (this.#tokens.size >= this.#maxOutstanding)
      throw MediaError.capacity('too many outstanding connection tokens');
    const token = randomBytes(32).toString('base64url');
    const expiresAt = now + this.#ttlMs;
    // The stream list is shared, not copied: the handler updates it in place when the controller registers the
    // participant again (a stream published after joining), and sessions already open see the change.
    this.#tokens.set(token, { grant: { ...grant }, expiresAt });
    return { token, expiresAt };
  }

  /** Spends a token. Unknown, expired, reused and malformed tokens all fail alike with UNAUTHORIZED. */
  consume(token: string): ConnectionGrant {
    if (!TOKEN_SHAPE.test(token)) throw MediaError.unauthorized('invalid connection token');
    const entry = this.#tokens.get(token);
    // Deleting before checking the expiry makes the token single-use even when it is refused.
    this.#tokens.delete(token);
    if (entry === undefined) throw MediaError.unauthorized('unknown or already used connection token');
    if (this.#clock.now() >= entry.expiresAt) throw MediaError.unauthorized('connection token expired');
    return entry.grant;
  }

  /** Revokes every outstanding token of a participant (UnregisterParticipant). */
  revokeParticipant(participantId: ParticipantId): number {
    let n = 0;
    for (const [token, entry] of this.#tokens) {
      if (entry.grant.participantId === participantId) {
        this.#tokens.delete(token);
        n++;
      }
    }
    return n;
  }

  sweep(now = this.#clock.now()): void {
    for (const [token, entry] of this.#tokens) if (now >= entry.expiresAt) this.#tokens.delete(token);
  }
}
