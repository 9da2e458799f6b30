// Bridges MLS epochs to an SframeContext as RFC 9605 section 5.2 describes: one base key per epoch,
//   base_key = MLS-Exporter("SFrame 1.0 Base Key", "", AEAD.Nk)
// shared by all members; senders are separated by KID = (sender_index << E) + (epoch mod 2^E) (context 0), and
// the SFrame key schedule (section 4.4.2) binds each key and salt to its KID, so every sender has its own key and
// nonce space under the same base key. (The RFC does not derive per-sender base keys; neither do we.)
//
// Keys of an old epoch stay for a grace period after the next epoch arrives (frames in flight, members that
// process the commit a little later), then they are deleted from the SframeContext (forward secrecy). Receiver
// keys are installed lazily for the leaf indices that are members of that epoch, so a forged KID never makes
// us derive or store anything.
import { SframeContext, type SframeCounters } from '../sframe-context.ts';
import { isSframeError, SframeError } from '../sframe-error.ts';
import { decodeSframeHeader } from '../sframe-header.ts';
import type { CipherSuiteId } from '../cipher-suites.ts';
import {
  DEFAULT_KID_LAYOUT,
  epochLowBits,
  parseKid,
  senderKid,
  validateKidLayout,
  type KidLayout,
} from './kid-layout.ts';
import { MlsError } from './mls-error.ts';
import type { MlsEpochSnapshot } from './mls-member.ts';

export const DEFAULT_EPOCH_GRACE_MS = 10_000;

export interface MlsSframeKeyringOptions {
  suite?: CipherSuiteId;
  kidLayout?: KidLayout;
  /** How long keys of a superseded epoch still decrypt (default 10 s). */
  graceMs?: number;
  /** Milliseconds clock (injected in tests). */
  now?: () => number;
  replayWindow?: number;
}

export interface KeyringDecryptedFrame {
  senderLeafIndex: number;
  epoch: bigint;
  kid: bigint;
  ctr: bigint;
  plaintext: Uint8Array;
}

export interface KeyringCounters extends SframeCounters {
  /** Epochs whose keys were deleted after their grace period (or on E-bit rollover). */
  epochsDeleted: number;
}

/**
 * What MlsParticipant needs of a keyring: MlsSframeKeyring, or a proxy to one running elsewhere (a Worker).
 * setEpoch takes ownership of the snapshot's base key.
 */
export interface EpochKeySink {
  setEpoch(snapshot: MlsEpochSnapshot): Promise<void>;
  retire(): void;
  close(): Promise<void>;
  readonly closed: Promise<void>;
}

interface EpochEntry {
  epoch: bigint;
  baseKey: Uint8Array;
  members: Set<number>;
  /** KIDs installed in the SframeContext for this epoch. */
  kids: Set<bigint>;
  /** When the keys go; undefined while the epoch is current. */
  expiresAt: number | undefined;
}

export class MlsSframeKeyring implements EpochKeySink {
  readonly layout: KidLayout;
  readonly #context: SframeContext;
  readonly #graceMs: number;
  readonly #now: () => number;
  /** Live epochs by their low E bits (at most one per value, RFC 9605 section 5.2). */
  readonly #epochs = new Map<bigint, EpochEntry>();
  #current: { epoch: bigint; ownLeafIndex: number; kid: bigint } | undefined;
  #epochsDeleted = 0;
  #closed = false;
  #resolveClosed!: () => void;
  readonly #closedPromise = new Promise<void>((resolve) => (this.#resolveClosed = resolve));

  constructor(options: MlsSframeKeyringOptions = {}) {
    this.layout = validateKidLayout(options.kidLayout ?? DEFAULT_KID_LAYOUT);
    this.#context = new SframeContext({
      ...(options.suite === undefined ? {} : { suite: options.suite }),
      ...(options.replayWindow === undefined ? {} : { replayWindow: options.replayWindow }),
    });
    this.#graceMs = options.graceMs ?? DEFAULT_EPOCH_GRACE_MS;
    this.#now = options.now ?? (() => Date.now());
  }

  get suite(): SframeContext['suite'] {
    return this.#context.suite;
  }

  /** The epoch we send in, or undefined before the first epoch. */
  get currentEpoch(): bigint | undefined {
    return this.#current?.epoch;
  }

  /** Our own sending KID of the current epoch. */
  get ownKid(): bigint | undefined {
    return this.#current?.kid;
  }

  get counters(): KeyringCounters {
    return { ...this.#context.counters, epochsDeleted: this.#epochsDeleted };
  }

  /** Epochs whose keys are still held (current and those in their grace period). */
  get liveEpochs(): bigint[] {
    this.prune();
    return [...this.#epochs.values()].map((e) => e.epoch).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * Makes `snapshot.epoch` the sending epoch. Older epochs start their grace period; an older epoch with the same
   * low E bits is deleted at once. Takes ownership of snapshot.sframeBaseKey (zeroed when the epoch is deleted).
   */
  async setEpoch(snapshot: MlsEpochSnapshot): Promise<void> {
    if (this.#closed) throw MlsError.closed();
    if (this.#current !== undefined && snapshot.epoch <= this.#current.epoch) {
      if (snapshot.epoch === this.#current.epoch) return; // idempotent
      throw MlsError.wrongEpoch(this.#current.epoch, snapshot.epoch);
    }
    for (const leaf of [snapshot.ownLeafIndex, ...snapshot.memberLeafIndices])
      if (!Number.isInteger(leaf) || leaf < 0 || leaf >= 2 ** this.layout.indexBits)
        throw MlsError.badKidLayout(`leaf index ${leaf} does not fit ${this.layout.indexBits} bits`);
    const now = this.#now();
    const low = epochLowBits(this.layout, snapshot.epoch);
    const clash = this.#epochs.get(low);
    if (clash !== undefined) this.#deleteEpoch(clash);
    for (const entry of this.#epochs.values()) entry.expiresAt ??= now + this.#graceMs;
    const kid = senderKid(this.layout, snapshot.epoch, snapshot.ownLeafIndex);
    const entry: EpochEntry = {
      epoch: snapshot.epoch,
      baseKey: snapshot.sframeBaseKey,
      members: new Set(snapshot.memberLeafIndices),
      kids: new Set([kid]),
      expiresAt: undefined,
    };
    await this.#context.setKey(kid, entry.baseKey);
    this.#epochs.set(low, entry);
    this.#current = { epoch: snapshot.epoch, ownLeafIndex: snapshot.ownLeafIndex, kid };
    this.prune();
  }

  /** Encrypts one frame under our KID of the current epoch. */
  async encrypt(frame: Uint8Array, metadata?: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) throw MlsError.closed();
    this.prune();
    if (this.#current === undefined) throw MlsError.notInGroup();
    return this.#context.encrypt(this.#current.kid, frame, metadata);
  }

  /**
   * Decrypts one frame. Tampered, replayed, unknown-KID (including expired epochs, non-members and epochs we were
   * never part of) and malformed frames throw a typed SframeError and are counted; nothing is returned for them.
   */
  async decrypt(ciphertext: Uint8Array, metadata?: Uint8Array): Promise<KeyringDecryptedFrame> {
    if (this.#closed) throw MlsError.closed();
    this.prune();
    let kid: bigint | undefined;
    try {
      kid = decodeSframeHeader(ciphertext).kid;
    } catch (error) {
      if (!isSframeError(error)) throw error;
      // Let the context count and refuse the malformed frame.
    }
    let epoch: bigint | undefined;
    if (kid !== undefined) {
      const parsed = parseKid(this.layout, kid);
      const entry = parsed.context === 0n ? this.#epochs.get(parsed.epochBits) : undefined;
      if (entry?.members.has(parsed.senderIndex) === true) {
        epoch = entry.epoch;
        if (!entry.kids.has(kid)) {
          entry.kids.add(kid);
          await this.#context.setKey(kid, entry.baseKey);
        }
      } else if (!this.#context.hasKey(kid)) {
        this.#context.counters.unknownKid++;
        throw SframeError.unknownKid(kid);
      }
    }
    const frame = await this.#context.decrypt(ciphertext, metadata);
    if (epoch === undefined) throw SframeError.unknownKid(frame.kid); // unreachable: every installed KID has an epoch
    return {
      senderLeafIndex: parseKid(this.layout, frame.kid).senderIndex,
      epoch,
      kid: frame.kid,
      ctr: frame.ctr,
      plaintext: frame.plaintext,
    };
  }

  /** Deletes the keys of epochs whose grace period is over. Called by every operation; callable on a timer. */
  prune(): void {
    const now = this.#now();
    for (const entry of [...this.#epochs.values()])
      if (entry.expiresAt !== undefined && now >= entry.expiresAt) this.#deleteEpoch(entry);
  }

  /**
   * We left or were removed: stop sending, and let every epoch run out its grace period (frames already in flight
   * still decrypt), after which all keys are gone.
   */
  retire(): void {
    const now = this.#now();
    for (const entry of this.#epochs.values()) entry.expiresAt ??= now + this.#graceMs;
    this.#current = undefined;
    this.prune();
  }

  /** Deletes every key. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      for (const entry of [...this.#epochs.values()]) this.#deleteEpoch(entry);
      this.#current = undefined;
      this.#closed = true;
      this.#resolveClosed();
    }
    return this.#closedPromise;
  }

  get closed(): Promise<void> {
    return this.#closedPromise;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #deleteEpoch(entry: EpochEntry): void {
    for (const kid of entry.kids) this.#context.deleteKey(kid);
    entry.baseKey.fill(0);
    this.#epochs.delete(epochLowBits(this.layout, entry.epoch));
    this.#epochsDeleted++;
  }
}
