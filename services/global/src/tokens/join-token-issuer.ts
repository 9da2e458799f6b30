import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { MeetingId } from '../domain/ids.ts';
import type { JoinPublicJwk, JoinSigningKey } from './join-signing-key.ts';

export const JOIN_TOKEN_AUDIENCE = 'darktower-mc';
export const JOIN_TOKEN_TTL_SECONDS = 300;

export type ParticipantRole = 'host' | 'participant';

export interface JoinTokenRequest {
  readonly meetingId: MeetingId;
  /** `sub`: the user id, or `guest:<random>` for a guest. */
  readonly participantIdentity: string;
  readonly displayName: string;
  readonly role: ParticipantRole;
  readonly tenant: string;
}

export interface IssuedJoinToken {
  readonly token: string;
  readonly tokenId: string;
  readonly participantIdentity: string;
  readonly role: ParticipantRole;
  readonly expiresAt: Date;
}

export interface JoinTokenIssuerOptions {
  /** Signing keys; the first signs, all are published (so tokens signed before a rotation still verify). */
  readonly keys: readonly JoinSigningKey[];
  /** `iss` of join tokens (the Global Controller's public base URL). */
  readonly issuer: string;
  readonly ttlSeconds?: number;
  readonly now?: () => number;
}

/**
 * Mints the short-lived join tokens Meeting Controllers accept: EdDSA JWTs scoped to one meeting and one
 * participant identity, with a `jti` the Meeting Controller remembers to refuse replays.
 */
export class JoinTokenIssuer {
  readonly #keys: readonly JoinSigningKey[];
  readonly #issuer: string;
  readonly #ttl: number;
  readonly #now: () => number;

  constructor(options: JoinTokenIssuerOptions) {
    if (options.keys.length === 0) throw new TypeError('at least one join signing key is required');
    const ttl = options.ttlSeconds ?? JOIN_TOKEN_TTL_SECONDS;
    if (!Number.isSafeInteger(ttl) || ttl <= 0 || ttl > 3600)
      throw new RangeError('ttlSeconds must be 1..3600');
    this.#keys = options.keys;
    this.#issuer = options.issuer;
    this.#ttl = ttl;
    this.#now = options.now ?? Date.now;
  }

  get issuer(): string {
    return this.#issuer;
  }

  async issue(request: JoinTokenRequest): Promise<IssuedJoinToken> {
    const key = this.#keys[0];
    if (key === undefined) throw new TypeError('no signing key');
    const nowSec = Math.floor(this.#now() / 1000);
    const exp = nowSec + this.#ttl;
    const tokenId = randomUUID();
    const token = await new SignJWT({
      meeting_id: request.meetingId,
      display_name: request.displayName,
      role: request.role,
      tenant: request.tenant,
    })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
      .setIssuer(this.#issuer)
      .setAudience(JOIN_TOKEN_AUDIENCE)
      .setSubject(request.participantIdentity)
      .setIssuedAt(nowSec)
      .setNotBefore(nowSec)
      .setExpirationTime(exp)
      .setJti(tokenId)
      .sign(key.privateKey);
    return {
      token,
      tokenId,
      participantIdentity: request.participantIdentity,
      role: request.role,
      expiresAt: new Date(exp * 1000),
    };
  }

  /** The JWKS served at /api/v1/join-keys.json. */
  jwks(): { keys: JoinPublicJwk[] } {
    return { keys: this.#keys.map((k) => k.publicJwk) };
  }
}

export function guestIdentity(): string {
  return `guest:${randomUUID()}`;
}
