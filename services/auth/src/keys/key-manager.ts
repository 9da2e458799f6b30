import type { KeyObject } from 'node:crypto';
import { importJWK } from 'jose';
import type { Database } from '@darktower/data';
import { withAdvisoryLock } from '@darktower/data';
import type { KeySource, ResolvedKey } from '@darktower/auth-verifier';
import type { Kysely } from 'kysely';
import type { AuthDatabase, SigningKeysTable } from '../db/schema.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { AuthControllerError } from '../errors.ts';
import type { MasterKey } from './master-key.ts';
import { decryptPrivateKey, generateSigningKey, type PublicJwk } from './signing-key.ts';
import {
  activeKey,
  pendingKeys,
  publishedKeys,
  rotationDue,
  successorActivation,
  type KeyTimes,
} from './rotation-policy.ts';

export const ROTATION_LOCK_KEY = 'auth:key-rotation';

export interface KeyManagerOptions {
  readonly database: Database<AuthDatabase>;
  readonly masterKey: MasterKey;
  readonly audit: AuditLog;
  /** How long a key signs before a new one takes over; it then stays published for one more period. */
  readonly rotationPeriodMs: number;
  /** A scheduled successor is created (and published) this long before it starts signing. */
  readonly prepublishMs: number;
  /** How often the timer checks whether rotation is due (and reloads keys rotated by other instances). */
  readonly checkIntervalMs: number;
  readonly now: () => number;
  readonly onError: (err: unknown) => void;
  readonly onRotated?: (kid: string, reason: RotationReason) => void;
}

export type RotationReason = 'initial' | 'scheduled' | 'admin';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

interface CachedKey extends KeyTimes {
  readonly publicJwk: PublicJwk;
  readonly publicKey: CryptoKey;
  readonly privateKeyEnc: string;
}

interface Snapshot {
  readonly keys: readonly CachedKey[];
  readonly loadedAt: number;
}

export type RotateResult =
  | { readonly rotated: true; readonly kid: string }
  | { readonly rotated: false; readonly reason: 'locked' | 'not_due' };

/**
 * Owns the signing keys: creates the first one, rotates on a timer and on demand (one instance at a time, under a
 * database advisory lock), serves the JWKS and the active private key (decrypted once, kept in memory).
 */
export class KeyManager implements KeySource {
  readonly #o: KeyManagerOptions;
  #snapshot: Snapshot = { keys: [], loadedAt: 0 };
  readonly #decrypted = new Map<string, KeyObject>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #closed = false;

  constructor(options: KeyManagerOptions) {
    this.#o = options;
  }

  get #db(): Kysely<AuthDatabase> {
    return this.#o.database.db;
  }

  /** Loads keys, creates the first key if none is active, and starts the rotation timer. */
  async start(): Promise<void> {
    await this.reload();
    await this.rotateIfDue('initial');
    this.#timer = setInterval(() => {
      this.#ticking ??= this.#tick().finally(() => {
        this.#ticking = undefined;
      });
    }, this.#o.checkIntervalMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    try {
      await this.reload();
      await this.rotateIfDue('scheduled');
    } catch (err) {
      this.#o.onError(err);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#ticking;
    this.#decrypted.clear();
  }

  async reload(): Promise<void> {
    const rows = await this.#db.selectFrom('auth_signing_keys').selectAll().execute();
    this.#snapshot = { keys: await Promise.all(rows.map(toCached)), loadedAt: this.#o.now() };
  }

  /** Rotates only when due (no active key, or the active key is a full period old). */
  async rotateIfDue(reason: RotationReason): Promise<RotateResult> {
    if (!this.#due(this.#snapshot.keys, new Date(this.#o.now()))) {
      return { rotated: false, reason: 'not_due' };
    }
    return this.#rotate(reason, false);
  }

  /** Rotates now (admin call). Waits for the lock so a concurrent scheduled rotation finishes first. */
  rotateNow(actor: string): Promise<RotateResult> {
    return this.#rotate('admin', true, actor);
  }

  async #rotate(reason: RotationReason, force: boolean, actor = 'system'): Promise<RotateResult> {
    if (this.#closed) return { rotated: false, reason: 'locked' };
    const outcome = await withAdvisoryLock(
      this.#o.database,
      ROTATION_LOCK_KEY,
      async (trx): Promise<RotateResult> => {
        // Re-read under the lock: another instance may have rotated since our snapshot.
        const rows = await Promise.all(
          (await trx.selectFrom('auth_signing_keys').selectAll().execute()).map(toCached),
        );
        const now = new Date(this.#o.now());
        if (!force && !this.#due(rows, now)) return { rotated: false, reason: 'not_due' };
        if (force) {
          // An admin rotation takes effect now: a scheduled successor is dropped and replaced.
          const pending = pendingKeys(rows, now).map((k) => k.kid);
          if (pending.length > 0)
            await trx.deleteFrom('auth_signing_keys').where('kid', 'in', pending).execute();
        }
        const activateAt = force ? now : successorActivation(rows, now, this.#o.rotationPeriodMs);
        const fresh = generateSigningKey(this.#o.masterKey, now);
        // Every key still without an end stops verifying one period after its successor starts signing.
        const retireAt = new Date(activateAt.getTime() + this.#o.rotationPeriodMs);
        await trx
          .updateTable('auth_signing_keys')
          .set({ retire_at: retireAt })
          .where('retire_at', 'is', null)
          .execute();
        // Keys retired long ago are deleted: they verify nothing and only widen what a leak exposes.
        await trx.deleteFrom('auth_signing_keys').where('retire_at', '<', now).execute();
        await trx
          .insertInto('auth_signing_keys')
          .values({
            kid: fresh.kid,
            public_jwk: JSON.stringify(fresh.publicJwk),
            private_key_enc: fresh.privateKeyEnc,
            created_at: fresh.createdAt,
            activate_at: activateAt,
            retire_at: null,
          })
          .execute();
        await this.#o.audit.record(
          {
            event: 'key.rotated',
            outcome: 'ok',
            actor,
            details: { kid: fresh.kid, reason, activate_at: activateAt.toISOString() },
          },
          trx,
        );
        return { rotated: true, kid: fresh.kid };
      },
      { wait: force },
    );
    if (!outcome.acquired) return { rotated: false, reason: 'locked' };
    await this.reload();
    if (outcome.result.rotated) this.#o.onRotated?.(outcome.result.kid, reason);
    return outcome.result;
  }

  /** The key that signs now. Throws NO_SIGNING_KEY if there is none (not started, or the database is empty). */
  #due(keys: readonly KeyTimes[], now: Date): boolean {
    return rotationDue(keys, now, this.#o.rotationPeriodMs, this.#o.prepublishMs);
  }

  signingKey(): SigningKey {
    const active = activeKey(this.#snapshot.keys, new Date(this.#o.now()));
    if (active === undefined) throw AuthControllerError.noSigningKey();
    let privateKey = this.#decrypted.get(active.kid);
    if (privateKey === undefined) {
      privateKey = decryptPrivateKey(this.#o.masterKey, active.kid, active.privateKeyEnc);
      this.#decrypted.set(active.kid, privateKey);
      for (const kid of this.#decrypted.keys()) if (kid !== active.kid) this.#decrypted.delete(kid);
    }
    return { kid: active.kid, privateKey };
  }

  hasActiveKey(): boolean {
    return activeKey(this.#snapshot.keys, new Date(this.#o.now())) !== undefined;
  }

  /** The JWKS document: active key first, then keys retiring within their overlap period. */
  jwks(): { keys: PublicJwk[] } {
    return { keys: publishedKeys(this.#snapshot.keys, new Date(this.#o.now())).map((k) => k.publicJwk) };
  }

  /** KeySource for the verifier: only keys still published verify (a retired key is refused at once). */
  resolve(kid: string): Promise<readonly ResolvedKey[]> {
    const key = publishedKeys(this.#snapshot.keys, new Date(this.#o.now())).find((k) => k.kid === kid);
    if (key === undefined) return Promise.resolve([]);
    return Promise.resolve([{ kid, key: key.publicKey, source: 'local' }]);
  }
}

async function toCached(row: SigningKeysTable): Promise<CachedKey> {
  const publicJwk = JSON.parse(row.public_jwk) as PublicJwk;
  const publicKey = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: publicJwk.x }, 'EdDSA');
  if (publicKey instanceof Uint8Array) throw new Error('unexpected symmetric key');
  return {
    kid: row.kid,
    createdAt: new Date(row.created_at),
    activateAt: row.activate_at === null ? null : new Date(row.activate_at),
    retireAt: row.retire_at === null ? null : new Date(row.retire_at),
    publicJwk,
    publicKey,
    privateKeyEnc: row.private_key_enc,
  };
}
