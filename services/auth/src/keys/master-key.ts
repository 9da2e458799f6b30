import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AuthControllerError } from '../errors.ts';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The key-encryption key for signing keys at rest: AES-256-GCM, a fresh 96-bit IV per encryption, and the kid as
 * associated data so an encrypted key cannot be swapped onto another row.
 */
export class MasterKey {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  static fromBase64(text: string): MasterKey {
    const trimmed = text.trim();
    if (!/^[A-Za-z0-9+/]{43}=$/.test(trimmed) && !/^[A-Za-z0-9_-]{43}$/.test(trimmed)) {
      throw AuthControllerError.masterKey('AUTH_MASTER_KEY must be 32 bytes in base64');
    }
    const key = Buffer.from(trimmed, trimmed.endsWith('=') ? 'base64' : 'base64url');
    if (key.length !== 32) throw AuthControllerError.masterKey('AUTH_MASTER_KEY must be 32 bytes in base64');
    return new MasterKey(key);
  }

  static generate(): MasterKey {
    return new MasterKey(randomBytes(32));
  }

  toBase64(): string {
    return this.#key.toString('base64');
  }

  encrypt(plaintext: Uint8Array, aad: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ct]);
  }

  decrypt(blob: Uint8Array, aad: string): Buffer {
    const buf = Buffer.from(blob);
    if (buf.length < 1 + IV_BYTES + TAG_BYTES + 1 || buf[0] !== VERSION) {
      throw AuthControllerError.masterKey('encrypted key blob is malformed');
    }
    const iv = buf.subarray(1, 1 + IV_BYTES);
    const tag = buf.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const ct = buf.subarray(1 + IV_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ct), decipher.final()]);
    } catch (err) {
      throw AuthControllerError.masterKey('cannot decrypt a signing key: wrong AUTH_MASTER_KEY?', err);
    }
  }
}

export interface ResolveMasterKeyOptions {
  /** Base64 value (AUTH_MASTER_KEY) or undefined. */
  readonly value: string | undefined;
  /** Path to a mounted secret file holding the base64 key (AUTH_MASTER_KEY_FILE). */
  readonly file: string | undefined;
  readonly production: boolean;
  readonly dataDir: string;
  readonly warn: (message: string) => void;
}

/**
 * Production: the key must be given (env or mounted file), else start fails. Development: when absent, one is
 * generated once and kept in `<dataDir>/auth-master-key` (mode 0600) so restarts can still decrypt.
 */
export function resolveMasterKey(o: ResolveMasterKeyOptions): MasterKey {
  if (o.value !== undefined && o.value !== '') return MasterKey.fromBase64(o.value);
  if (o.file !== undefined && o.file !== '') return MasterKey.fromBase64(readFileSync(o.file, 'utf8'));
  if (o.production) {
    throw AuthControllerError.masterKey(
      'AUTH_MASTER_KEY (or AUTH_MASTER_KEY_FILE) is required in production mode',
    );
  }
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const path = join(o.dataDir, 'auth-master-key');
  if (existsSync(path)) return MasterKey.fromBase64(readFileSync(path, 'utf8'));
  const key = MasterKey.generate();
  writeFileSync(path, `${key.toBase64()}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  o.warn(
    `AUTH_MASTER_KEY not set: generated a development master key at ${path}; never do this in production`,
  );
  return key;
}
