// SFrame encryption and decryption (RFC 9605 section 4.4): keys per KID, a counter per sending KID, a replay
// window per receiving KID. Works on WebCrypto in browsers, Workers and Node.
import { createAead, type Aead } from './aead.ts';
import { cipherSuite, DEFAULT_SUITE, type CipherSuite, type CipherSuiteId } from './cipher-suites.ts';
import { deriveKeyMaterial, nonceFor } from './key-schedule.ts';
import { ReplayWindow } from './replay-window.ts';
import { SframeError } from './sframe-error.ts';
import { decodeSframeHeader, encodeSframeHeader } from './sframe-header.ts';

interface KeyEntry {
  aead: Aead;
  salt: Uint8Array;
  /** Next counter to use when sending with this KID. */
  nextCtr: bigint;
  replay: ReplayWindow;
}

export interface SframeCounters {
  encrypted: number;
  decrypted: number;
  /** Frames refused, by reason: tampered, replayed, unknown KID, malformed. */
  authFailed: number;
  replayed: number;
  unknownKid: number;
  malformed: number;
}

export interface DecryptedFrame {
  kid: bigint;
  ctr: bigint;
  plaintext: Uint8Array;
}

const MAX_CTR = (1n << 64n) - 1n;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

export class SframeContext {
  readonly suite: CipherSuite;
  readonly counters: SframeCounters = {
    encrypted: 0,
    decrypted: 0,
    authFailed: 0,
    replayed: 0,
    unknownKid: 0,
    malformed: 0,
  };
  readonly #keys = new Map<bigint, KeyEntry>();
  readonly #replayWindow: number;

  constructor(options: { suite?: CipherSuiteId; replayWindow?: number } = {}) {
    const suite = cipherSuite(options.suite ?? DEFAULT_SUITE);
    if (suite === undefined) throw SframeError.unsupportedSuite(options.suite ?? -1);
    this.suite = suite;
    this.#replayWindow = options.replayWindow ?? 1024;
  }

  /** Installs the base key for a KID (for sending, receiving or both). Replaces any key of that KID. */
  async setKey(kid: bigint, baseKey: Uint8Array): Promise<void> {
    if (kid < 0n || kid > MAX_CTR) throw SframeError.badKey('KID out of range');
    if (baseKey.byteLength === 0) throw SframeError.badKey('empty base key');
    const material = await deriveKeyMaterial(this.suite, kid, new Uint8Array(baseKey));
    this.#keys.set(kid, {
      aead: await createAead(this.suite, material.key),
      salt: material.salt,
      nextCtr: 0n,
      replay: new ReplayWindow(this.#replayWindow),
    });
  }

  /** Forgets a KID (e.g. an old epoch after its grace period: forward secrecy). */
  deleteKey(kid: bigint): void {
    this.#keys.delete(kid);
  }

  hasKey(kid: bigint): boolean {
    return this.#keys.has(kid);
  }

  get kids(): bigint[] {
    return [...this.#keys.keys()];
  }

  /** Encrypts one frame under `kid` with the next counter. Returns header || ciphertext || tag. */
  async encrypt(
    kid: bigint,
    plaintext: Uint8Array,
    metadata: Uint8Array = new Uint8Array(0),
  ): Promise<Uint8Array> {
    const entry = this.#keys.get(kid);
    if (entry === undefined) throw SframeError.unknownKid(kid);
    const ctr = entry.nextCtr;
    if (ctr > MAX_CTR) throw SframeError.counterExhausted(kid);
    entry.nextCtr = ctr + 1n;
    return this.encryptWithCounter(kid, ctr, plaintext, metadata);
  }

  /** Encrypts with an explicit counter (known-answer tests, or a caller managing counters itself). */
  async encryptWithCounter(
    kid: bigint,
    ctr: bigint,
    plaintext: Uint8Array,
    metadata: Uint8Array,
  ): Promise<Uint8Array> {
    const entry = this.#keys.get(kid);
    if (entry === undefined) throw SframeError.unknownKid(kid);
    const header = encodeSframeHeader({ kid, ctr });
    const sealed = await entry.aead.seal(nonceFor(entry.salt, ctr), concat(header, metadata), plaintext);
    this.counters.encrypted++;
    return concat(header, sealed);
  }

  /**
   * Decrypts one SFrame ciphertext. Tampered, replayed, unknown-KID and malformed frames are refused with a typed
   * SframeError and counted; nothing about the frame is trusted before authentication.
   */
  async decrypt(ciphertext: Uint8Array, metadata: Uint8Array = new Uint8Array(0)): Promise<DecryptedFrame> {
    let header: ReturnType<typeof decodeSframeHeader>;
    try {
      header = decodeSframeHeader(ciphertext);
    } catch (error) {
      this.counters.malformed++;
      throw error;
    }
    const entry = this.#keys.get(header.kid);
    if (entry === undefined) {
      this.counters.unknownKid++;
      throw SframeError.unknownKid(header.kid);
    }
    if (!entry.replay.check(header.ctr)) {
      this.counters.replayed++;
      throw SframeError.replay(header.kid, header.ctr);
    }
    const aad = concat(ciphertext.subarray(0, header.length), metadata);
    let plaintext: Uint8Array;
    try {
      plaintext = await entry.aead.open(
        nonceFor(entry.salt, header.ctr),
        aad,
        ciphertext.subarray(header.length),
      );
    } catch (error) {
      this.counters.authFailed++;
      throw SframeError.authFailed(error);
    }
    // Record only after authentication, so forged frames cannot poison the window.
    entry.replay.accept(header.ctr);
    this.counters.decrypted++;
    return { kid: header.kid, ctr: header.ctr, plaintext };
  }
}
